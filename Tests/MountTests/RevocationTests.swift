import Foundation
import TestDirectories
import Testing

/// Revocation end to end: a serial named in `revoked_serials` lands in the CRL `tsmfs collateral`
/// (TDX) or `tsmfs roots` (SEV) writes, and `tsmfs verify` then refuses the evidence with the
/// revoked certificate named.
@Suite struct RevocationTests {
    /// `tsmfs inspect --json` fields of `file`.
    static func fields(_ file: String) throws -> [String: String] {
        let result = try run(TSMFSBinary.path, ["inspect", "--json", file])
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(json?["fields"] as? [String: String], "\(result.stdout)\(result.stderr)")
    }

    /// A configuration of `provider` on `state` with `settings` in its section.
    static func config(_ provider: String, state: String, _ settings: String) throws -> String {
        let path = makeTemporaryDirectory("tsmfs-config") + "/revoked.toml"
        try "[tsmfs]\nstate_dir = \"\(state)\"\n[\(provider)]\n\(settings)\n".write(
            toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    @Test(arguments: [0, 1])
    func aRevokedPCKOrPlatformCAFailsTsmfsVerify(_ certificate: Int) throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        try TDXEvidenceTests.withTDX(stateDirectory: state) { fixture in
            let quote = try DICEQuotingTests.save(try TDXEvidenceTests.takeQuote(fixture.filesystem, nonce: nonce))
            let valid = try DICEQuotingTests.tsmfsVerify(quote, trust: fixture.trust, ["--collateral", fixture.trust])
            #expect(valid.status == 0 && valid.stdout.contains("valid TDX quote"), "\(valid.stdout)")
            let serial = try #require(try Self.fields(quote)["pck_chain[\(certificate)].serial"])
            let revoked = makeTemporaryDirectory("tsmfs-collateral")
            let config = try Self.config("tdx", state: state, "revoked_serials = [\"\(serial)\"]")
            let written = try run(TSMFSBinary.path, ["collateral", "--provider", "tdx", "--config", config, "--out", revoked])
            #expect(written.status == 0, "\(written.stderr)")
            let result = try DICEQuotingTests.tsmfsVerify(quote, trust: fixture.trust, ["--collateral", revoked])
            let check = certificate == 0 ? "PCK revocation" : "Platform CA revocation"
            #expect(result.status == 1 && result.stdout.contains("invalid: \(check)"), "\(result.stdout)\(result.stderr)")
        }
    }

    @Test func aRevokedASKFailsTsmfsVerify() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        try SEVEvidenceTests.withSEV(stateDirectory: state) { fixture in
            let (report, aux) = try SEVEvidenceTests.takeReport(fixture.filesystem, nonce: nonce)
            let reportFile = try DICEQuotingTests.save(report, "report.bin")
            let auxFile = try DICEQuotingTests.save(aux, "aux.bin")
            let valid = try DICEQuotingTests.tsmfsVerify(reportFile, trust: fixture.trust, ["--auxblob", auxFile])
            #expect(valid.status == 0, "\(valid.stdout)")
            let revoked = makeTemporaryDirectory("tsmfs-trust")
            let config = try Self.config("sev", state: state, "revoked_serials = [\"02\"]")
            let written = try run(TSMFSBinary.path, ["roots", "--provider", "sev", "--config", config, "--out", revoked])
            #expect(written.status == 0, "\(written.stderr)")
            let result = try DICEQuotingTests.tsmfsVerify(reportFile, trust: revoked, ["--auxblob", auxFile])
            #expect(result.status == 1 && result.stdout.contains("invalid: ASK revocation"), "\(result.stdout)")
        }
    }
}
