import ByteLayout
import CCAProvider
import CCASigning
import CCAToken
import Foundation
import TSMConfig

/// The `[cca]` section of the configuration file: the token's form, every claim of the platform
/// and realm tokens, and the RMM faults to simulate. Every value has a working default.
public enum CCASettings {
    public struct Settings: Sendable {
        public var configuration: CCAProvider.Configuration
        /// The COSE algorithm of the platform key (CPAK).
        public var platformAlgorithm: COSESign1.Algorithm
    }

    public static func read(_ section: ConfigSection) throws(ConfigError) -> Settings {
        var configuration = CCAProvider.Configuration()
        if let profile = try section.choice("profile", from: CCAProvider.Profile.allCases.map(\.rawValue)) {
            configuration.profile = CCAProvider.Profile(rawValue: profile)!
            configuration.platform.profile = configuration.profile.platformProfile
            configuration.realm.profile = configuration.profile.realmProfile
        }
        if let collection = try section.choice("collection", from: AttestationToken.Collection.allCases.map(\.rawValue)) {
            configuration.collection = AttestationToken.Collection(rawValue: collection)!
        }
        var algorithm = COSESign1.Algorithm.es384
        if let name = try section.choice("platform_algorithm", from: COSESign1.Algorithm.allCases.map(\.name)) {
            algorithm = COSESign1.Algorithm.allCases.first { $0.name == name }!
        }

        // Platform token.
        var platform = configuration.platform
        platform.implementationID = try section.hexBytes("implementation_id", count: 32) ?? platform.implementationID
        if let instance = try section.hexBytes("instance_id", count: 33) {
            guard instance[0] == 0x01 else { throw section.invalid("instance_id", "a UEID of type RAND starts with 01") }
            platform.instanceID = instance
        }
        platform.configuration = try variableHex(section, "platform_config", maximum: 256) ?? platform.configuration
        if let components = try section.strings("software_components") {
            platform.softwareComponents = try parseComponents(components, section, hash: platform.hashAlgorithm)
        }
        platform.lifecycle = try section.integer("lifecycle", as: UInt64.self, in: 0...0xFFFF) ?? platform.lifecycle
        platform.verificationService = try section.string("verification_service") ?? platform.verificationService
        platform.hashAlgorithm = try hashAlgorithm(section, "platform_hash_algorithm") ?? platform.hashAlgorithm
        platform.softwareComponents = platform.softwareComponents.map { component in
            var component = component
            component.hashAlgorithm = platform.hashAlgorithm
            return component
        }
        configuration.platform = platform

        // Realm token.
        var realm = configuration.realm
        realm.personalizationValue = try section.hexBytes("personalization_value", count: 64) ?? realm.personalizationValue
        realm.hashAlgorithm = try hashAlgorithm(section, "realm_hash_algorithm") ?? realm.hashAlgorithm
        realm.rakHashAlgorithm = try hashAlgorithm(section, "rak_hash_algorithm") ?? realm.rakHashAlgorithm
        let width = digestWidth(realm.hashAlgorithm)
        // Defaults follow the realm's hash algorithm: measurements are digests of its width.
        if realm.rim.count != width { realm.rim = [UInt8](repeating: 0x5A, count: width) }
        realm.rems = realm.rems.map { $0.count == width ? $0 : [UInt8](repeating: 0, count: width) }
        realm.rim = try section.hexBytes("rim", count: width) ?? realm.rim
        for index in 0..<4 { realm.rems[index] = try section.hexBytes("rem\(index)", count: width) ?? realm.rems[index] }
        configuration.realm = realm

        var faults = CCAProvider.FaultSimulation()
        faults.rsiError = try section.boolean("rsi_error") ?? false
        faults.tokenInitFailure = try section.boolean("token_init_failure") ?? false
        faults.latencyMilliseconds = try section.integer("latency_ms", as: UInt32.self, in: 0...600_000) ?? 0
        configuration.faults = faults
        try section.finish()
        return Settings(configuration: configuration, platformAlgorithm: algorithm)
    }

    private static func digestWidth(_ algorithm: String) -> Int {
        switch algorithm {
        case "sha-384": 48
        case "sha-512": 64
        default: 32
        }
    }

    private static func hashAlgorithm(_ section: ConfigSection, _ key: String) throws(ConfigError) -> String? {
        try section.choice(key, from: TokenSigner.hashAlgorithms)
    }

    private static func variableHex(_ section: ConfigSection, _ key: String, maximum: Int) throws(ConfigError) -> [UInt8]? {
        try section.parsed(key, expected: "1 to \(maximum) bytes as hexadecimal digits") { text in
            [UInt8](hex: text).flatMap { (1...maximum).contains($0.count) ? $0 : nil }
        }
    }

    /// `["TYPE:VERSION:MEASUREMENT_HEX", …]`: each a measured component, signed by the simulated
    /// firmware signer.
    private static func parseComponents(_ items: [String], _ section: ConfigSection, hash: String) throws(ConfigError)
        -> [SoftwareComponent]
    {
        let signer = CCAProvider.Configuration.firmwareSignerID
        var components: [SoftwareComponent] = []
        for item in items {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, !parts[0].isEmpty, let measurement = [UInt8](hex: String(parts[2])), !measurement.isEmpty
            else {
                throw section.invalid(
                    "software_components", "\"\(item)\" is not TYPE:VERSION:MEASUREMENT_HEX (e.g. \"RMM:1.0.0:6a…\")")
            }
            components.append(
                SoftwareComponent(
                    type: String(parts[0]), measurement: measurement, version: String(parts[1]), signerID: signer,
                    hashAlgorithm: hash))
        }
        return components
    }
}
