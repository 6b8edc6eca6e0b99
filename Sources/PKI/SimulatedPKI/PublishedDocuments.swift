import ByteLayout
import Crypto
import Foundation

/// Signed, dated documents a vendor service publishes once and hands to everybody until its next
/// update: TCB info, CRLs. Kept in the state directory, so `tsmfs collateral`, `tsmfs roots` and
/// `tsmfs serve` give out the same bytes, as a real service does between updates. A document is
/// made again when what it says changes (the `inputs` differ) or once it is a day old. A seeded
/// store keeps nothing, as for its keys.
public enum PublishedDocuments {
    public static let maximumAge: TimeInterval = 24 * 3600

    public static func load(
        from store: KeyStore, name: String, inputs: String, now: Date = Date(), make: () throws -> [String: [UInt8]]
    ) throws -> [String: [UInt8]] {
        if store.seed != nil { return try make() }
        let path = "\(store.directory)/published-\(name).txt"
        let fingerprint = Array(SHA256.hash(data: Array(inputs.utf8))).hexString
        if let text = try store.readText(path), let documents = parse(text, fingerprint: fingerprint, now: now) {
            return documents
        }
        let documents = try make()
        var text = "inputs \(fingerprint)\nmade \(Int(now.timeIntervalSince1970))\n"
        for (key, bytes) in documents.sorted(by: { $0.key < $1.key }) {
            text += "\(key) \(bytes.hexString)\n"
        }
        try store.writeAtomically(path, Array(text.utf8))
        return documents
    }

    /// The documents, if they were made from these inputs less than a day ago.
    static func parse(_ text: String, fingerprint: String, now: Date) -> [String: [UInt8]]? {
        var documents: [String: [UInt8]] = [:]
        var madeAt: Double?
        var inputs: String?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard fields.count == 2 else { return nil }
            switch fields[0] {
            case "inputs": inputs = fields[1]
            case "made": madeAt = Double(fields[1])
            default:
                guard let bytes = [UInt8](hex: fields[1]) else { return nil }
                documents[fields[0]] = bytes
            }
        }
        guard inputs == fingerprint, let madeAt else { return nil }
        let age = now.timeIntervalSince1970 - madeAt
        return age >= 0 && age < maximumAge ? documents : nil
    }
}
