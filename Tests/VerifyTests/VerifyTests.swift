import AMDPKI
import ByteLayout
import CBOR
import CCAProvider
import CCASigning
import Crypto
import DICEPKI
import EchoProvider
import Foundation
import ProviderKit
import SEVProvider
import SNPReport
import SimulatedPKI
import TDXDICEQuote
import TDXProvider
import TDXQuote
import Testing
import X509

@testable import Verify

/// tsmfs verify and inspect, in-process: they accept what tsmfs emits, and refuse every changed
/// byte and every hostile file with a named check.
@Suite struct VerifyTests {
    @Test func aDICEQuoteVerifiesAndEveryFlippedByteFails() async throws {
        let quote = try Fixtures.quote(.dice)
        #expect(EvidenceKind.detect(quote) == .tdxDICEQuote)
        let verdict = try await DICEQuoteVerifier.verify(quote, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData)
        #expect(verdict.checks.contains("module measurement") && verdict.checks.contains("quote signature"))
        var accepted: [Int] = []
        for offset in 0..<quote.count {
            var tampered = quote
            tampered[offset] ^= 0x01
            if (try? await DICEQuoteVerifier.verify(tampered, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData)) != nil {
                accepted.append(offset)
            }
        }
        #expect(accepted.isEmpty, "flipped bytes accepted at \(accepted.prefix(20))")
    }

    /// Every kind of signed evidence, and a verifier for it.
    enum SignedEvidence: String, CaseIterable, Sendable {
        case qeV4, qeV5TDX10, qeV5TDX15, snpReport, snpCertificateTable, ccaToken

        func make() throws -> (bytes: [UInt8], verify: @Sendable ([UInt8]) async throws -> Verdict) {
            switch self {
            case .qeV4, .qeV5TDX10, .qeV5TDX15:
                let format: TDQuote.Format = self == .qeV4 ? .v4 : .v5(self == .qeV5TDX10 ? .tdx10 : .tdx15)
                return (
                    try Fixtures.quote(.qe, format: format),
                    { try await TDXQuoteVerifier.verify($0, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData) }
                )
            case .snpReport:
                let (report, table) = try Fixtures.snpReport()
                return (
                    report,
                    {
                        try SNPReportVerifier.verify(
                            $0, certificates: table, roots: Fixtures.sevRoots, reportData: Fixtures.reportData)
                    }
                )
            case .snpCertificateTable:
                let (report, table) = try Fixtures.snpReport()
                return (
                    table,
                    {
                        try SNPReportVerifier.verify(
                            report, certificates: $0, roots: Fixtures.sevRoots, reportData: Fixtures.reportData)
                    }
                )
            case .ccaToken:
                return (
                    try Fixtures.ccaToken(),
                    { try CCATokenVerifier.verify($0, roots: Fixtures.ccaRoots, challenge: Fixtures.ccaChallenge) }
                )
            }
        }
    }

    /// The evidence verifies as made, and no single flipped bit of any byte does: every byte is either
    /// signed or checked (lengths, types, must-be-zero ranges, canonical encodings).
    @Test(arguments: SignedEvidence.allCases)
    func everyFlippedByteOfSignedEvidenceFails(_ kind: SignedEvidence) async throws {
        let (bytes, verify) = try kind.make()
        _ = try await verify(bytes)
        var accepted: [Int] = []
        for offset in 0..<bytes.count {
            var tampered = bytes
            tampered[offset] ^= 0x01
            if (try? await verify(tampered)) != nil { accepted.append(offset) }
        }
        #expect(accepted.isEmpty, "\(kind): flipped bytes accepted at \(accepted.prefix(20)) of \(bytes.count)")
    }

    @Test func aRevokedPCKOrPlatformCAFailsWithTheCheckNamed() async throws {
        let quote = try Fixtures.quote(.qe)
        let verdict = try await TDXQuoteVerifier.verify(quote, roots: try Fixtures.tdxCollateral(revoking: []), reportData: nil)
        #expect(verdict.checks.contains("root CA CRL") && verdict.checks.contains("PCK CRL"), "\(verdict.checks)")
        let pck = Array(Fixtures.intel.pck.certificate.serialNumber.bytes)
        let platformCA = Array(Fixtures.intel.platformCA.certificate.serialNumber.bytes)
        for (serial, check) in [(pck, "PCK revocation"), (platformCA, "Platform CA revocation")] {
            let failure = await #expect(throws: VerificationFailure.self) {
                try await TDXQuoteVerifier.verify(quote, roots: try Fixtures.tdxCollateral(revoking: [serial]), reportData: nil)
            }
            #expect(failure?.check == check, "\(String(describing: failure))")
        }
        // Another serial revoked: nothing of this chain.
        _ = try await TDXQuoteVerifier.verify(quote, roots: try Fixtures.tdxCollateral(revoking: [[0x7F, 1]]), reportData: nil)
    }

    @Test func aRevokedASKFailsAndTheCRLIsRequired() throws {
        let (report, table) = try Fixtures.snpReport()
        let line = SEVProvider.Configuration().productLine.rawValue
        let verdict = try SNPReportVerifier.verify(report, certificates: table, roots: Fixtures.sevRoots, reportData: nil)
        #expect(verdict.checks.contains("\(line) CRL"))
        let roots = Fixtures.directory("sev-revoked")
        try FileManager.default.createDirectory(atPath: roots + "/" + line, withIntermediateDirectories: true)
        Fixtures.write(Fixtures.amd.arkDER, roots + "/\(line)/ark.der")
        let missing = #expect(throws: VerificationFailure.self) {
            try SNPReportVerifier.verify(
                report, certificates: table, roots: TrustRoots(directory: roots, collateralDirectory: nil), reportData: nil)
        }
        #expect(missing?.check == "\(line) CRL" && missing?.detail.contains("crl.der is missing") == true)
        // The ASK's serial is 02, as AMD's are.
        Fixtures.write(try Fixtures.sevCRL(revoking: [[0x02]]), roots + "/\(line)/crl.der")
        let revoked = #expect(throws: VerificationFailure.self) {
            try SNPReportVerifier.verify(
                report, certificates: table, roots: TrustRoots(directory: roots, collateralDirectory: nil), reportData: nil)
        }
        #expect(revoked?.check == "ASK revocation", "\(String(describing: revoked))")
        // A CRL signed by another key is refused.
        var forged = try Fixtures.sevCRL(revoking: [])
        forged[forged.count - 10] ^= 1
        Fixtures.write(forged, roots + "/\(line)/crl.der")
        let unsigned = #expect(throws: VerificationFailure.self) {
            try SNPReportVerifier.verify(
                report, certificates: table, roots: TrustRoots(directory: roots, collateralDirectory: nil), reportData: nil)
        }
        #expect(unsigned?.detail == "the CRL is not signed by its issuer", "\(String(describing: unsigned))")
    }

    /// The echo provider's reports are not signed: nothing could make their bytes trustworthy, so the
    /// verifier takes none of them, altered or not.
    @Test func unsignedEchoReportsAreNeverVerified() throws {
        let report = try EchoProvider().generateReport(for: ReportRequest(inblob: Fixtures.reportData)).outblob
        #expect(EvidenceKind.detect(report) == nil)
        #expect(throws: VerificationFailure.self) { try Inspection.inspect(report) }
        for offset in stride(from: 0, to: report.count, by: 7) {
            var tampered = report
            tampered[offset] ^= 0x01
            #expect(EvidenceKind.detect(tampered) == nil, "offset \(offset)")
        }
    }

    @Test func snpReservedBytesAreRefusedWithTheirName() throws {
        let (report, _) = try Fixtures.snpReport()
        for (offset, field) in [
            (0x04C, "reserved 0x04C"), (0x183, "reported_tcb reserved bytes 2-5"), (0x190, "reserved 0x18B"),
            (0x1F8, "reserved 0x1F8"), (0x29F, "reserved 0x1F8"), (0x2A0 + 50, "signature_r upper bytes"),
            (0x400, "reserved signature area"),
        ] {
            var tampered = report
            tampered[offset] = 0x80
            #expect(throws: ReportFormatError.reservedNonZero(field: field, offset: offset)) {
                try AttestationReport(parsing: tampered)
            }
        }
        var signer = report
        signer[0x48] |= 0x20
        #expect(throws: ReportFormatError.reservedNonZero(field: "signer_info bits 31:5", offset: 0x48)) {
            try AttestationReport(parsing: signer)
        }
        // MASK_CHIP_KEY is read, not ignored: setting it changes the signed bytes.
        var masked = report
        masked[0x48] |= 0x02
        #expect(try AttestationReport(parsing: masked).maskChipKey)
    }

    @Test func aQEQuoteVerifiesAndTamperingFails() async throws {
        let quote = try Fixtures.quote(.qe)
        #expect(EvidenceKind.detect(quote) == .tdxQuote)
        _ = try await TDXQuoteVerifier.verify(quote, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData)
        // Header, body, signature, attestation key, QE report, its signature, the chain.
        for offset in [10, 0x30 + 0x88, 0x30 + 0x208, 0x278 + 10, 0x278 + 70, 0x278 + 140, 0x278 + 140 + 400, quote.count - 100] {
            var tampered = quote
            tampered[offset] ^= 0x01
            await #expect(throws: VerificationFailure.self, "offset \(offset)") {
                try await TDXQuoteVerifier.verify(tampered, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData)
            }
        }
        await #expect(throws: VerificationFailure("report data", "REPORTDATA differs from --report-data")) {
            try await TDXQuoteVerifier.verify(quote, roots: Fixtures.tdxRoots, reportData: [UInt8](repeating: 0, count: 64))
        }
    }

    @Test func aDICEQuoteFromAnotherPlatformFailsThePath() async throws {
        let other = Fixtures.directory("other-roots")
        let otherDICE = try SimulatedDICEPKI.load(from: .init(directory: Fixtures.directory("other-keys")), platformIdentity: [9])
        Fixtures.write(try otherDICE.rootDER, other + "/dice-root-ca.der")
        let failure = await #expect(throws: VerificationFailure.self) {
            try await DICEQuoteVerifier.verify(
                try Fixtures.quote(.dice), roots: TrustRoots(directory: other, collateralDirectory: nil), reportData: nil)
        }
        #expect(failure?.check == "DICE chain")
    }

    @Test func anUpdateRenewsTheQuotingKeyAndChangesCurrentButNotOrigin() async throws {
        let provider = try Fixtures.tdx(.dice)
        let before = try DICEQuote(parsing: try provider.generateReport(for: ReportRequest(inblob: Fixtures.reportData)).outblob)
        let result = try provider.updateModule(ModuleUpdate(svn: 7, mrSeam: [UInt8](repeating: 0x77, count: 48)))
        #expect(result.previousSVN == 3 && result.svn == 7 && result.generation == 2)
        let after = try provider.generateReport(for: ReportRequest(inblob: Fixtures.reportData)).outblob
        let quote = try DICEQuote(parsing: after)
        // Origin: the module the TD was launched under. Current: the one running now.
        #expect(quote.claims.body.teeTCBSVN == before.claims.body.teeTCBSVN && quote.claims.body.teeTCBSVN[0] == 3)
        #expect(quote.claims.originSEAM == before.claims.originSEAM && quote.claims.body.mrSeam == Fixtures.launchMRSEAM)
        #expect(quote.claims.body.teeTCBSVN2[0] == 7)
        #expect(quote.claims.currentSEAM?.mrSeam == [UInt8](repeating: 0x77, count: 48))
        #expect(before.claims.currentSEAM == before.claims.originSEAM, "before any update, current is origin")
        #expect(quote.certificates[0] != before.certificates[0], "a new quoting-key certificate")
        #expect(quote.certificates[1] != before.certificates[1], "a new module certificate")
        #expect(quote.certificates[2] == before.certificates[2], "the same DeviceID")
        #expect(quote.keyID != before.keyID)
        let verdict = try await DICEQuoteVerifier.verify(after, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData)
        #expect(verdict.notes.contains("module updated since launch (origin SVN 3)"), "\(verdict.notes)")
        #expect(throws: ModuleUpdateError.wouldDropQuoting) { try provider.updateModule(ModuleUpdate(svn: 8, hasQuoting: false)) }
        #expect(throws: ModuleUpdateError.invalidMeasurement(3)) { try provider.updateModule(ModuleUpdate(mrSeam: [1, 2, 3])) }
    }

    /// A TDX 1.5 report keeps the launch module in TEE_TCB_SVN and MRSEAM and shows the running one in
    /// TEE_TCB_SVN2, in QE quotes (v5, body type 3), TDREPORTs and DICE quotes alike; the DICE claims are
    /// field for field the QE quote's body and the TDREPORT's, at every moment.
    @Test func diceClaimsEqualTheQEQuoteAndTheTDReportBeforeAndAfterAnUpdate() throws {
        var configuration = TDXProvider.Configuration()
        configuration.format = .v5(.tdx15)
        let qe = try TDXProvider(configuration: configuration, pki: Fixtures.intel, dice: Fixtures.dice)
        let dice = try Fixtures.tdx(.dice)
        let extend = [UInt8](repeating: 0xE1, count: 48)
        for provider in [qe, dice] { try provider.registers.extend(2, with: extend) }
        for step in 0..<2 {
            if step == 1 {
                for provider in [qe, dice] {
                    _ = try provider.updateModule(ModuleUpdate(svn: 9, mrSeam: [UInt8](repeating: 9, count: 48)))
                }
            }
            let claims = try DICEQuote(parsing: try dice.generateReport(for: ReportRequest(inblob: Fixtures.reportData)).outblob)
                .claims
            let qeQuote = try TDQuote(parsing: try qe.generateReport(for: ReportRequest(inblob: Fixtures.reportData)).outblob)
            #expect(claims.body == qeQuote.body, "step \(step)")
            #expect(claims.body == dice.tdReport(reportData: Fixtures.reportData).body, "step \(step)")
            #expect(claims.body.rtmrs == dice.registers.snapshot)
            #expect(qeQuote.body.teeTCBSVN[0] == 3 && qeQuote.body.teeTCBSVN2[0] == (step == 0 ? 3 : 9))
            #expect(qeQuote.body.mrSeam == Fixtures.launchMRSEAM)
            #expect(claims.currentSEAM?.mrSeam == (step == 0 ? Fixtures.launchMRSEAM : [UInt8](repeating: 9, count: 48)))
        }
    }

    /// A QE quote's signed part is the layout of the TD's body as it is now (the running module,
    /// the RTMRs, the request's REPORTDATA) in every format, before and after module updates: the
    /// part laid out in advance is laid out again for each new module.
    @Test(arguments: [TDQuote.Format.v4, .v5(.tdx10), .v5(.tdx15)])
    func aQEQuoteLaysOutTheTDsBodyAsItIsNowInEveryFormat(format: TDQuote.Format) throws {
        var configuration = TDXProvider.Configuration()
        configuration.format = format
        let provider = try TDXProvider(configuration: configuration, pki: Fixtures.intel)
        for step in 0..<3 {
            if step > 0 {
                _ = try provider.updateModule(
                    ModuleUpdate(svn: UInt8(4 + step), mrSeam: [UInt8](repeating: UInt8(step), count: 48)))
            }
            try provider.registers.extend(step, with: [UInt8](repeating: UInt8(0xE0 + step), count: 48))
            let reportData = (0..<64).map { _ in UInt8.random(in: 0...255) }
            let quote = try TDQuote(parsing: try provider.generateReport(for: ReportRequest(inblob: reportData)).outblob)
            let now = provider.body(reportData: reportData)
            #expect(
                try quote.signedBytes
                    == TDQuote.signedBytes(header: QuoteHeader(version: format.version), format: format, body: now),
                "step \(step)")
            #expect(quote.body.teeTCBSVN2[0] == (format.bodyKind == .tdx15 ? UInt8(step == 0 ? 3 : 4 + step) : 0))
        }
    }

    @Test func anUpdateThatOutgrowsTheQuoteBufferIsRefused() throws {
        // Seeded keys make every quote size reproducible, so the same update can be sized first.
        let seeded = KeyStore(directory: Fixtures.directory("seeded"), seed: [UInt8](repeating: 0x5E, count: 32))
        let dice = try SimulatedDICEPKI.load(from: seeded, platformIdentity: [1])
        func provider(maximum: Int) throws -> TDXProvider {
            var configuration = TDXProvider.Configuration()
            configuration.quoting = .dice
            configuration.maxQuoteSize = maximum
            return try TDXProvider(configuration: configuration, pki: Fixtures.intel, dice: dice)
        }
        let size = try provider(maximum: 1 << 20).generateReport(for: ReportRequest(inblob: Fixtures.reportData)).outblob.count
        // A larger SVN lengthens the module's version string and SVN integer, so the chain grows.
        let svn = try #require(
            try (UInt8(200)...UInt8(255)).first { svn in
                try provider(maximum: 1 << 20).updateModule(ModuleUpdate(svn: svn)).quoteSize > size
            })
        let bounded = try provider(maximum: size)
        #expect(throws: ModuleUpdateError.self) { try bounded.updateModule(ModuleUpdate(svn: svn)) }
        let quote = try DICEQuote(parsing: try bounded.generateReport(for: ReportRequest(inblob: Fixtures.reportData)).outblob)
        #expect(quote.claims.body.teeTCBSVN2[0] == 3, "a refused update changes nothing")
        #expect(throws: ModuleUpdateError.quoteTooLarge(size: size, maximum: size - 1)) { try provider(maximum: size - 1) }
    }

    @Test func aReportRebuiltAfterAnUpdateIsItsOwnModules() throws {
        let provider = try Fixtures.tdx(.dice)
        var request = ReportRequest(inblob: Fixtures.reportData, serial: 1)
        request.platformState = provider.capturePlatformState()
        let first = try provider.generateReport(for: request).outblob
        _ = try provider.updateModule(ModuleUpdate(svn: 4))
        #expect(try provider.generateReport(for: request).outblob == first)
    }

    @Test func theDICELayoutIsTheSpecificationFormAndRefusesWhatDoesNotFit() throws {
        let bytes = try Fixtures.quote(.dice)
        let quote = try DICEQuote(parsing: bytes)
        #expect(
            Array(bytes.prefix(9)) == [0xD8, 0x3D, 0xD2, 0x84, 0x44, 0xA1, 0x01, 0x38, 0x22], "tag 61, tag 18, [<<{1: -35}>>")
        #expect(quote.cwtTagged && !quote.certificatesOrdered && quote.claims.form == .specification)
        #expect(quote.contentType == "application/eat+cwt" && quote.certificates.count == 3)
        #expect(quote.claims.eatProfile == "2.16.840.1.113741.1.16.1" && quote.claims.body.reportData == Fixtures.reportData)
        // The bare COSE_Sign1 (no CWT tag) is the same quote.
        let bare = try DICEQuote(parsing: Array(bytes.dropFirst(2)))
        #expect(!bare.cwtTagged && bare.claims == quote.claims && bare.signature == quote.signature)
        #expect(EvidenceKind.detect(Array(bytes.dropFirst(2))) == .tdxDICEQuote)

        #expect(throws: DICEQuoteError.cbor(.trailingBytes(count: 1), in: "the quote")) { try DICEQuote(parsing: bytes + [0]) }
        #expect(throws: DICEQuoteError.self) { try DICEQuote(parsing: Array(bytes.prefix(bytes.count - 1))) }
        var otherAlgorithm = bytes
        otherAlgorithm[8] = 0x18  // 38 18: -25 instead of 38 22: -35
        #expect(throws: DICEQuoteError.unsupportedAlgorithm(-25)) { try DICEQuote(parsing: otherAlgorithm) }
        // The signature's head: bstr of 96 (58 60), made 95 with one byte dropped from the end.
        var shortSignature = Array(bytes.prefix(bytes.count - 1))
        shortSignature[bytes.count - 97] = 0x5F
        #expect(throws: DICEQuoteError.signatureLength(95)) { try DICEQuote(parsing: shortSignature) }
        var untagged = bytes
        untagged[2] = 0xD1  // tag 17 instead of 18
        #expect(
            throws: DICEQuoteError.wrongType("the quote", expected: "a COSE_Sign1 (tag 18), optionally inside a CWT (tag 61)")
        ) {
            try DICEQuote(parsing: untagged)
        }
        // A head that is not the shortest: the protected header's length 4 written as 58 04.
        let longHead = Array(bytes.prefix(4)) + [0x58, 0x04] + Array(bytes.dropFirst(5))
        #expect(throws: DICEQuoteError.cbor(.nonShortestHead(at: 4), in: "the quote")) { try DICEQuote(parsing: longHead) }
        // A duplicate key in the unprotected header: the content type (label 3) said twice.
        let duplicated: [UInt8] = [
            0xD2, 0x84, 0x44, 0xA1, 0x01, 0x38, 0x22, 0xA2, 0x03, 0x61, 0x61, 0x03, 0x61, 0x61, 0x40, 0x40,
        ]
        #expect(throws: DICEQuoteError.cbor(.duplicateKey(at: 11), in: "the quote")) { try DICEQuote(parsing: duplicated) }
        let deep = [0xD2, 0x84] + [UInt8](repeating: 0x81, count: 40) + [0x00]
        #expect(throws: DICEQuoteError.self) { try DICEQuote(parsing: deep) }
        #expect(throws: DICEQuoteError.wrongType("the COSE_Sign1", expected: "an array of 4 elements")) {
            try DICEQuote(parsing: [0xD2, 0x83, 0x40, 0xA0, 0x40])
        }
        // The module certificate's TcbInfo, as DICEPKI wrote it, read back by the verifier's own decoder.
        let info = SimulatedDICEPKI.ModuleIdentity(svn: 3, majorVersion: 1, mrSeam: [UInt8](repeating: 9, count: 48)).tcbInfo
        let decoded = try DICETcbInfo(derEncoded: try info.der)
        #expect(decoded.vendor == "Intel" && decoded.model == "TDX module" && decoded.version == "1.3" && decoded.svn == 3)
        #expect(decoded.layer == 1 && decoded.sha384Digests == [[UInt8](repeating: 9, count: 48)])
    }

    /// The older integration sample go-tdx-guest still accepts: `.1` submodule keys, tag 571 straight
    /// around the concise-evidence map, one state per submodule, the SEAM fields and tee_tcb_svn2
    /// (key -153) inside the Platform TCB map, eat_profile as text.
    @Test func theIntegrationSampleFormIsReadToo() async throws {
        func evidence(_ values: [(key: CBORValue, value: CBORValue)]) -> CBORValue {
            .tagged(
                571,
                .map([
                    (
                        .unsigned(0),
                        .map([(.unsigned(0), .array([.array([.map([]), .array([.map([(.unsigned(1), .map(values))])])])]))])
                    )
                ]))
        }
        func digest(_ byte: UInt8) -> CBORValue { .bytes([UInt8](repeating: byte, count: 48)) }
        let svn: CBORValue = .array((0..<16).map { .unsigned($0 == 0 ? 4 : 0) })
        let svn2: CBORValue = .array((0..<16).map { .unsigned($0 == 0 ? 6 : 0) })
        var td: [(key: CBORValue, value: CBORValue)] = [
            (.int(-82), .bytes([0, 0, 0, 0x10, 0, 0, 0, 0])), (.int(-201), .bytes([0xE7, 0x1A, 6, 0, 0, 0, 0, 0])),
            (.int(-83), digest(0x11)), (.int(-203), digest(0)), (.int(-204), digest(0)), (.int(-205), digest(0)),
        ]
        td += (0..<4).map { (.int(-206 - Int64($0)), digest(UInt8(0xA0 + $0))) }
        let claims: CBORValue = .map([
            (.int(265), .text("2.16.840.1.113741.1.16.1")), (.int(-212), .bytes(Fixtures.reportData)),
            (
                .int(-11),
                .map([
                    (
                        .text("2.16.840.1.113741.1.13.2.1.1"),
                        evidence([
                            (.int(-125), svn), (.int(-153), svn2), (.int(-82), .bytes([UInt8](repeating: 0, count: 8))),
                            (.int(-83), digest(0x5E)), (.int(-84), digest(0)),
                        ])
                    ),
                    (.text("2.16.840.1.113741.1.13.2.4.1"), evidence(td)),
                    (.text("2.16.840.1.113741.1.13.2.7.1"), evidence([(.int(-210), digest(0x77))])),
                ])
            ),
        ])
        let quote = CBOREncoder.encode(
            .tagged(
                18,
                .array([
                    .bytes(DICEQuote.protectedHeaderES384), .map([(.int(33), .array([.bytes([0x30, 0x00])]))]),
                    .bytes(CBOREncoder.encode(claims)), .bytes([UInt8](repeating: 1, count: 96)),
                ])))
        let parsed = try DICEQuote(parsing: quote)
        #expect(parsed.claims.form == .integration && parsed.certificatesOrdered && !parsed.cwtTagged)
        #expect(parsed.claims.body.teeTCBSVN[0] == 4 && parsed.claims.body.teeTCBSVN2[0] == 6)
        #expect(parsed.claims.body.mrSeam == [UInt8](repeating: 0x5E, count: 48) && parsed.claims.currentSEAM == nil)
        #expect(parsed.claims.body.rtmrs[3] == [UInt8](repeating: 0xA3, count: 48))
        #expect(parsed.claims.body.mrServiceTD == [UInt8](repeating: 0x77, count: 48))
        #expect(parsed.claims.eatProfile == "2.16.840.1.113741.1.16.1")
        let fields = try Inspection.inspect(quote).fields
        #expect(fields.contains { $0.name == "format" && $0.value.contains("integration form (no CWT tag)") })
        // Not signed by any chain: verification names the first check that fails.
        await #expect(throws: VerificationFailure.self) {
            try await DICEQuoteVerifier.verify(quote, roots: Fixtures.tdxRoots, reportData: nil)
        }
    }

    @Test func theDICEChainHasTheRootProfileAndEveryCertificateIsOnThePath() throws {
        let root = try Certificate(derEncoded: try Fixtures.dice.rootDER)
        #expect(root.subject == root.issuer && root.serialNumber == Certificate.SerialNumber(bytes: [1]))
        #expect(root.signatureAlgorithm == .ecdsaWithSHA384 && P384.Signing.PublicKey(root.publicKey) != nil)
        #expect(root.notValidAfter == Date(timeIntervalSince1970: 253_402_300_799))
        #expect(root.subject.description.contains("Simulated") && !root.subject.description.contains("DCP DICE Global Root CA"))
        #expect(root.extensions.first { $0.oid == .X509ExtensionID.basicConstraints }?.critical == true)
        #expect(root.extensions.first { $0.oid == .X509ExtensionID.keyUsage }?.critical == true)
        let quote = try DICEQuote(parsing: try Fixtures.quote(.dice))
        for der in quote.certificates {
            let certificate = try Certificate(derEncoded: der)
            #expect(certificate.signatureAlgorithm == .ecdsaWithSHA384)
            for dice in certificate.extensions where dice.oid.description.hasPrefix("2.23.133.5.4") {
                #expect(!dice.critical, "DICE extensions are non-critical, for strict RFC 5280 path validators")
            }
        }
        // A certificate that is not on the path (a second DeviceID copy of another platform) is refused.
        let other = try SimulatedDICEPKI.load(from: .init(directory: Fixtures.directory("stray-keys")), platformIdentity: [7])
        let stray = try CertificateIssuer.der(other.deviceID.certificate)
        #expect(throws: VerificationFailure.self) {
            try DICEQuoteVerifier.path(quote.certificates + [stray], to: root)
        }
        #expect(try DICEQuoteVerifier.path(quote.certificates, to: root).count == 3)
    }

    @Test func hostileFilesAreRefusedWithANamedCheck() async throws {
        let quote = try Fixtures.quote(.dice)
        var generator = SystemRandomNumberGenerator()
        var inputs: [[UInt8]] = [
            [], [0], [4, 0, 2, 0, 0x81, 0, 0, 0], Array(quote.prefix(0x27C)), Array(quote.prefix(quote.count - 1)),
        ]
        inputs += (0..<300).map { _ in
            (0..<Int.random(in: 0..<2000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        // Plausible starts with garbage after them: quote headers, CBOR tags, certificate-table GUIDs.
        for prefix in [
            Array(quote.prefix(400)), [0xD8, 0x3D, 0xD2, 0x84], [0xD2, 0x84, 0x44, 0xA1, 0x01, 0x38, 0x22],
            [0xD9, 0x01, 0x8F, 0xA2],
            [0xD9, 0x03, 0x8B, 0xBB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        ] {
            for _ in 0..<50 {
                inputs.append(
                    prefix
                        + (0..<Int.random(in: 0..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator)
                        })
            }
        }
        for input in inputs {
            if let report = try? Inspection.inspect(input) { _ = report.json }
            if let kind = EvidenceKind.detect(input) {
                switch kind {
                case .tdxQuote:
                    await #expect(throws: VerificationFailure.self) {
                        try await TDXQuoteVerifier.verify(input, roots: Fixtures.tdxRoots, reportData: nil)
                    }
                case .tdxDICEQuote:
                    await #expect(throws: VerificationFailure.self) {
                        try await DICEQuoteVerifier.verify(input, roots: Fixtures.tdxRoots, reportData: nil)
                    }
                case .ccaToken:
                    #expect(throws: VerificationFailure.self) {
                        try CCATokenVerifier.verify(input, roots: Fixtures.tdxRoots, challenge: nil)
                    }
                default: break
                }
            }
        }
        #expect(throws: VerificationFailure.self) { try Inspection.inspect([1, 2, 3]) }
    }
}
