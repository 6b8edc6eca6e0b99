import Foundation

/// What `tsmfs roots` (and `tsmfs collateral`) wrote: read lazily, each missing file an error that
/// names it.
public struct TrustRoots: Sendable {
    public let directory: String
    public let collateralDirectory: String?

    public init(directory: String, collateralDirectory: String?) {
        self.directory = directory
        self.collateralDirectory = collateralDirectory
    }

    func file(_ name: String, in directory: String? = nil, check: String) throws(VerificationFailure) -> [UInt8] {
        let path = "\(directory ?? self.directory)/\(name)"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VerificationFailure(check, "\(path) is missing (write it with tsmfs roots / tsmfs collateral)")
        }
        return Array(data)
    }

    /// The product-line directories (Milan, Genoa) that hold an AMD ARK.
    var amdProductLines: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
            FileManager.default.fileExists(atPath: "\(directory)/\($0)/ark.der")
        }.sorted()
    }
}
