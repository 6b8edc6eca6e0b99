import AMDPKI
import CCAProvider
import CCASigning
import Crypto
import DICEPKI
import Foundation
import IntelPKI
import ProviderKit
import SEVProvider
import SimulatedPKI
import TDXProvider
import TDXQuote
import TestDirectories
import Verify

/// Evidence of every kind with the roots that verify it, written where `tsmfs roots` would write them.
enum Fixtures {
    static let reportData = (0..<64).map { UInt8($0 ^ 0xA5) }
    /// The simulated platform's MRSEAM at launch.
    static let launchMRSEAM = TDXPlatform().mrSeam

    static func directory(_ name: String) -> String {
        let path = makeTemporaryDirectory("tsmfs-\(name)")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ bytes: [UInt8], _ path: String) {
        // A fixture that could not be written would fail a later check with a misleading reason.
        precondition(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "could not write \(path)")
    }

    static let store = KeyStore(directory: directory("tdx-keys"))
    static let intel = try! SimulatedIntelPKI.load(from: store, platform: TDXPlatform())
    static let dice = try! SimulatedDICEPKI.load(from: store, platformIdentity: [1, 2, 3])

    static func tdx(_ quoting: TDXProvider.Quoting) throws -> TDXProvider {
        var configuration = TDXProvider.Configuration()
        configuration.quoting = quoting
        return try TDXProvider(configuration: configuration, pki: intel, dice: dice)
    }

    /// Roots for TDX: the Intel root and the DICE root.
    static let tdxRoots: TrustRoots = {
        let path = directory("tdx-roots")
        write(try! intel.rootDER, path + "/intel-sgx-root-ca.der")
        write(try! dice.rootDER, path + "/dice-root-ca.der")
        return TrustRoots(directory: path, collateralDirectory: nil)
    }()

    static func quote(_ quoting: TDXProvider.Quoting, format: TDQuote.Format = .v4) throws -> [UInt8] {
        var configuration = TDXProvider.Configuration()
        configuration.quoting = quoting
        configuration.format = format
        return try TDXProvider(configuration: configuration, pki: intel, dice: dice)
            .generateReport(for: ReportRequest(inblob: reportData)).outblob
    }

    static let amd: SimulatedAMDPKI = {
        let configuration = SEVProvider.Configuration()
        return try! SimulatedAMDPKI.load(
            from: KeyStore(directory: directory("amd-keys")), productLine: configuration.productLine,
            chipID: configuration.template.chipID, reportedTCB: configuration.template.reportedTCB)
    }()

    /// An SNP report and its certificate table (configfs outblob and auxblob).
    static func snpReport() throws -> (report: [UInt8], certificates: [UInt8]) {
        let generated = try SEVProvider(configuration: SEVProvider.Configuration(), pki: amd, svsm: nil)
            .generateReport(for: ReportRequest(inblob: reportData))
        return (generated.outblob, generated.auxblob)
    }

    /// Roots for SEV: the product line's ARK where `tsmfs roots` puts it.
    static let sevRoots: TrustRoots = {
        let path = directory("sev-roots")
        let line = SEVProvider.Configuration().productLine.rawValue
        try? FileManager.default.createDirectory(atPath: path + "/" + line, withIntermediateDirectories: true)
        write(amd.arkDER, path + "/\(line)/ark.der")
        write(try! sevCRL(revoking: []), path + "/\(line)/crl.der")
        return TrustRoots(directory: path, collateralDirectory: nil)
    }()

    static func sevCRL(revoking serials: [[UInt8]]) throws -> [UInt8] {
        try amd.revocationList(
            revoking: serials, thisUpdate: Date().addingTimeInterval(-60), nextUpdate: Date().addingTimeInterval(3600))
    }

    /// Collateral for the TDX fixtures, its CRLs listing `revoked`.
    static func tdxCollateral(revoking revoked: [[UInt8]]) throws -> TrustRoots {
        let path = directory("tdx-collateral")
        write(Array(try TDXCollateral(pki: intel, revoked: revoked).collateralJSON.utf8), path + "/collateral.json")
        return TrustRoots(directory: tdxRoots.directory, collateralDirectory: path)
    }

    static let ccaKey = TokenSigner.PlatformKey.es384(P384.Signing.PrivateKey())
    static let ccaChallenge = (0..<64).map { UInt8($0 ^ 0x3C) }

    static func ccaToken() throws -> [UInt8] {
        try CCAProvider(configuration: CCAProvider.Configuration(), platformKey: ccaKey)
            .generateReport(for: ReportRequest(inblob: ccaChallenge)).outblob
    }

    static let ccaRoots: TrustRoots = {
        let path = directory("cca-roots")
        write(Array((ccaKey.publicKeyPEM + "\n").utf8), path + "/cpak.pem")
        return TrustRoots(directory: path, collateralDirectory: nil)
    }()
}
