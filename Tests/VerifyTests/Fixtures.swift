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
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
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

    static func quote(_ quoting: TDXProvider.Quoting) throws -> [UInt8] {
        try tdx(quoting).generateReport(for: ReportRequest(inblob: reportData)).outblob
    }
}
