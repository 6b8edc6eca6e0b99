import ByteLayout
import CBOR
import DICEPKI
import Foundation
import ProviderKit
import SimulatedPKI
import TDXDICEQuote
import TDXProvider
import TDXQuote
import Testing
import Verify

/// tsmfs verify and inspect, in-process: they accept what tsmfs emits, and refuse every changed
/// byte and every hostile file with a named check.
@Suite struct VerifyTests {
    @Test func aDICEQuoteVerifiesAndEveryFlippedByteFails() throws {
        let quote = try Fixtures.quote(.dice)
        #expect(EvidenceKind.detect(quote) == .tdxDICEQuote)
        let verdict = try DICEQuoteVerifier.verify(quote, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData)
        #expect(verdict.checks.contains("module measurement") && verdict.checks.contains("quote signature"))
        var accepted: [Int] = []
        for offset in 0..<quote.count {
            var tampered = quote
            tampered[offset] ^= 0x01
            if (try? DICEQuoteVerifier.verify(tampered, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData)) != nil {
                accepted.append(offset)
            }
        }
        #expect(accepted.isEmpty, "flipped bytes accepted at \(accepted.prefix(20))")
    }

    @Test func aQEQuoteVerifiesAndTamperingFails() throws {
        let quote = try Fixtures.quote(.qe)
        #expect(EvidenceKind.detect(quote) == .tdxQuote)
        _ = try TDXQuoteVerifier.verify(quote, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData)
        // Header, body, signature, attestation key, QE report, its signature, the chain.
        for offset in [10, 0x30 + 0x88, 0x30 + 0x208, 0x278 + 10, 0x278 + 70, 0x278 + 140, 0x278 + 140 + 400, quote.count - 100] {
            var tampered = quote
            tampered[offset] ^= 0x01
            #expect(throws: VerificationFailure.self, "offset \(offset)") {
                try TDXQuoteVerifier.verify(tampered, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData)
            }
        }
        #expect(throws: VerificationFailure("report data", "REPORTDATA differs from --report-data")) {
            try TDXQuoteVerifier.verify(quote, roots: Fixtures.tdxRoots, reportData: [UInt8](repeating: 0, count: 64))
        }
    }

    @Test func aDICEQuoteFromAnotherPlatformFailsThePath() throws {
        let other = Fixtures.directory("other-roots")
        let otherDICE = try SimulatedDICEPKI.load(from: .init(directory: Fixtures.directory("other-keys")), platformIdentity: [9])
        Fixtures.write(try otherDICE.rootDER, other + "/dice-root-ca.der")
        let failure = #expect(throws: VerificationFailure.self) {
            try DICEQuoteVerifier.verify(
                try Fixtures.quote(.dice), roots: TrustRoots(directory: other, collateralDirectory: nil), reportData: nil)
        }
        #expect(failure?.check == "DICE chain")
    }

    @Test func anUpdateRenewsTheQuotingKeyAndTheModuleTCB() throws {
        let provider = try Fixtures.tdx(.dice)
        let before = try DICEQuote(parsing: try provider.generateReport(for: ReportRequest(inblob: Fixtures.reportData)).outblob)
        let result = try provider.updateModule(ModuleUpdate(svn: 7, mrSeam: [UInt8](repeating: 0x77, count: 48)))
        #expect(result.previousSVN == 3 && result.svn == 7 && result.generation == 2)
        let after = try provider.generateReport(for: ReportRequest(inblob: Fixtures.reportData)).outblob
        let quote = try DICEQuote(parsing: after)
        #expect(quote.body.teeTCBSVN[0] == 7 && quote.body.mrSeam == [UInt8](repeating: 0x77, count: 48))
        #expect(quote.certificateChainPEM != before.certificateChainPEM)
        #expect(quote.certificateChainPEM.prefix(300) != before.certificateChainPEM.prefix(300), "a new quoting-key certificate")
        _ = try DICEQuoteVerifier.verify(after, roots: Fixtures.tdxRoots, reportData: Fixtures.reportData)
        #expect(throws: ModuleUpdateError.wouldDropQuoting) { try provider.updateModule(ModuleUpdate(svn: 8, hasQuoting: false)) }
        #expect(throws: ModuleUpdateError.invalidMeasurement(3)) { try provider.updateModule(ModuleUpdate(mrSeam: [1, 2, 3])) }
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
        #expect(quote.body.teeTCBSVN[0] == 3, "a refused update changes nothing")
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

    @Test func theDICELayoutRoundTripsAndRefusesWhatDoesNotFit() throws {
        let bytes = try Fixtures.quote(.dice)
        let quote = try DICEQuote(parsing: bytes)
        #expect(try quote.bytes == bytes)
        #expect(bytes.count == DICEQuote.size(format: .v4, chainLength: quote.certificateChainPEM.count))
        var wrongType = bytes
        wrongType[0x278 + 4 + 64] = 7
        #expect(throws: QuoteFormatError.notDICEChain(type: 7)) { try DICEQuote(parsing: wrongType) }
        #expect(throws: QuoteFormatError.self) { try DICEQuote(parsing: Array(bytes.prefix(700))) }
        var hugeLength = bytes
        hugeLength.storeLittleEndian(UInt32.max, at: 0x278)
        #expect(throws: QuoteFormatError.signatureDataLength(declared: Int(UInt32.max), present: bytes.count - 0x27C)) {
            try DICEQuote(parsing: hugeLength)
        }
        let info = DICEExtensions.TcbInfo(
            vendor: "Intel", model: "TDX module", version: "1.3", svn: 3, layer: 1, fwids: [[UInt8](repeating: 9, count: 48)])
        #expect(try DICEExtensions.TcbInfo(derEncoded: try info.der) == info)
    }

    @Test func hostileFilesAreRefusedWithANamedCheck() throws {
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
            Array(quote.prefix(0x30 + 584)), [0xD9, 0x01, 0x8F, 0xA2],
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
                    #expect(throws: VerificationFailure.self) {
                        try TDXQuoteVerifier.verify(input, roots: Fixtures.tdxRoots, reportData: nil)
                    }
                case .tdxDICEQuote:
                    #expect(throws: VerificationFailure.self) {
                        try DICEQuoteVerifier.verify(input, roots: Fixtures.tdxRoots, reportData: nil)
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
