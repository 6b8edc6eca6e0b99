import ByteLayout
import Crypto
import SigningKeys
import TDXQuote
import TDXSigning
import Testing

@Suite struct TDQuoteTests {
    /// A body whose every field holds a distinct, recognisable pattern.
    static func patternedBody() -> TDReportBody {
        var body = TDReportBody()
        func fill(_ count: Int, _ seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: Int(seed) &* 31 &+ $0) } }
        body.teeTCBSVN = fill(16, 1)
        body.mrSeam = fill(48, 2)
        body.mrSignerSeam = fill(48, 3)
        body.seamAttributes = fill(8, 4)
        body.tdAttributes = fill(8, 5)
        body.xfam = fill(8, 6)
        body.mrTD = fill(48, 7)
        body.mrConfigID = fill(48, 8)
        body.mrOwner = fill(48, 9)
        body.mrOwnerConfig = fill(48, 10)
        body.rtmrs = (0..<4).map { fill(48, UInt8(11 + $0)) }
        body.reportData = fill(64, 15)
        body.teeTCBSVN2 = fill(16, 16)
        body.mrServiceTD = fill(48, 17)
        return body
    }

    static func signer() throws -> (QuoteSigner, P256.Signing.PrivateKey, P256.Signing.PrivateKey) {
        let attestation = P256.Signing.PrivateKey()
        let pck = P256.Signing.PrivateKey()
        var report = EnclaveReport()
        report.isvProdID = 2
        report.isvSVN = 4
        report.mrSigner = Array(repeating: 0xDC, count: 32)
        let chain = Array("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8)
        return (
            try QuoteSigner(
                attestationKey: SigningKey(attestation), pckKey: SigningKey(pck), qeReport: report, pckCertificateChain: chain),
            attestation, pck
        )
    }

    @Test func v4LayoutMatchesTheDCAPOffsets() throws {
        let (signer, _, _) = try Self.signer()
        let body = Self.patternedBody()
        let bytes = try signer.quote(body: body, format: .v4)
        #expect(bytes.loadLittleEndian(UInt16.self, at: 0) == 4)
        #expect(bytes.loadLittleEndian(UInt16.self, at: 2) == 2)
        #expect(bytes.loadLittleEndian(UInt32.self, at: 4) == 0x81)
        #expect(Array(bytes[0x0C..<0x1C]) == QuoteHeader.intelQEVendorID)
        #expect(Array(bytes[0x30..<0x40]) == body.teeTCBSVN)
        #expect(Array(bytes[0x0B8..<0x0E8]) == body.mrTD)
        #expect(Array(bytes[0x178..<0x1A8]) == body.rtmrs[0])
        #expect(Array(bytes[0x238..<0x278]) == body.reportData)
        #expect(Int(bytes.loadLittleEndian(UInt32.self, at: 0x278)) == bytes.count - 0x27C)
        #expect(bytes.loadLittleEndian(UInt16.self, at: 0x27C + 128) == 6)
        #expect(bytes.count < 8192)
    }

    @Test(arguments: [TDQuote.Format.v4, .v5(.tdx10), .v5(.tdx15)])
    func roundTripsAndVerifies(_ format: TDQuote.Format) throws {
        let (signer, attestation, pck) = try Self.signer()
        let body = Self.patternedBody()
        let bytes = try signer.quote(body: body, format: format)
        let quote = try TDQuote(parsing: bytes)
        #expect(quote.format == format)
        #expect(try quote.bytes == bytes)
        var expected = body
        if format.bodyKind == .tdx10 {
            expected.teeTCBSVN2 = Array(repeating: 0, count: 16)
            expected.mrServiceTD = Array(repeating: 0, count: 48)
        }
        #expect(quote.body == expected)
        // The attestation key signs header and framed body; the PCK key signs the QE report.
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: quote.signature)
        #expect(attestation.publicKey.isValidSignature(signature, for: try quote.signedBytes))
        #expect(quote.attestationKey == Array(attestation.publicKey.rawRepresentation))
        let qeSignature = try P256.Signing.ECDSASignature(rawRepresentation: quote.qeReportSignature)
        #expect(pck.publicKey.isValidSignature(qeSignature, for: try quote.qeReport.bytes))
        // REPORTDATA binds the attestation key and the auth data.
        let binding = Array(SHA256.hash(data: quote.attestationKey + quote.qeAuthData))
        #expect(quote.qeReport.reportData == binding + Array(repeating: 0, count: 32))
        #expect(quote.qeReport.isvSVN == 4 && quote.qeReport.isvProdID == 2)
        if case .v5(let kind) = format {
            #expect(bytes.loadLittleEndian(UInt16.self, at: 48) == kind.rawValue)
            #expect(Int(bytes.loadLittleEndian(UInt32.self, at: 50)) == kind.size)
        }
    }

    @Test func parsingRejectsInconsistentLengths() throws {
        let (signer, _, _) = try Self.signer()
        let bytes = try signer.quote(body: Self.patternedBody(), format: .v4)
        let following = bytes.count - 0x27C
        #expect(throws: QuoteFormatError.signatureDataLength(declared: following, present: following - 1)) {
            try TDQuote(parsing: Array(bytes.dropLast()))
        }
        #expect(throws: QuoteFormatError.signatureDataLength(declared: following, present: following + 1)) {
            try TDQuote(parsing: bytes + [0])
        }
        #expect(throws: QuoteFormatError.truncated(at: 100)) { try TDQuote(parsing: Array(bytes.prefix(100))) }
        var wrongVersion = bytes
        wrongVersion[0] = 3
        #expect(throws: QuoteFormatError.unsupportedVersion(3)) { try TDQuote(parsing: wrongVersion) }
        var wrongCertification = bytes
        wrongCertification[0x27C + 128] = 5
        #expect(throws: QuoteFormatError.notQEReportCertification(type: 5)) { try TDQuote(parsing: wrongCertification) }
        let v5 = try signer.quote(body: Self.patternedBody(), format: .v5(.tdx15))
        var wrongType = v5
        wrongType[48] = 1
        #expect(throws: QuoteFormatError.unsupportedBodyType(1)) { try TDQuote(parsing: wrongType) }
        var wrongSize = v5
        wrongSize[50] = 0
        #expect(throws: QuoteFormatError.bodySizeMismatch(type: 3, size: UInt32(TDReportBody.sizeTDX15) & ~0xFF)) {
            try TDQuote(parsing: wrongSize)
        }
    }

    @Test func enclaveReportRoundTrips() throws {
        var report = EnclaveReport()
        report.cpuSVN = Array(1...16)
        report.miscSelect = 0x1234
        report.attributes = Array(17...32)
        report.mrEnclave = Array(repeating: 0xAA, count: 32)
        report.mrSigner = Array(repeating: 0xBB, count: 32)
        report.isvProdID = 2
        report.isvSVN = 7
        report.reportData = Array(repeating: 0xCC, count: 64)
        let bytes = try report.bytes
        #expect(bytes.count == 384)
        #expect(bytes.loadLittleEndian(UInt16.self, at: 0x102) == 7)
        #expect(try EnclaveReport(parsing: bytes[...]) == report)
    }

    @Test func tdReportRoundTripsWithEveryBodyFieldInItsPlace() throws {
        var report = TDReport()
        report.reportVersion = 1
        report.cpuSVN = Array(1...16)
        report.teeTCBInfoHash = Array(repeating: 0x21, count: 48)
        report.teeInfoHash = Array(repeating: 0x22, count: 48)
        report.mac = Array(repeating: 0x23, count: 32)
        report.validFields = TDReport.validTDX15
        report.body = Self.patternedBody()
        let bytes = try report.bytes
        #expect(bytes.count == TDReport.size)
        #expect(try TDReport(parsing: bytes) == report)
        #expect(Array(bytes[0x080..<0x0C0]) == report.body.reportData)
        #expect(Array(bytes[0x180..<0x190]) == report.body.teeTCBSVN2)
        #expect(Array(bytes[0x210..<0x240]) == report.body.mrTD)
        #expect(Array(bytes[0x360..<0x390]) == report.body.rtmrs[3])
        #expect(Array(bytes[0x390..<0x3C0]) == report.body.mrServiceTD)
    }

    /// A body written into a larger layout (a quote writes it after its header) is the same bytes
    /// as the body alone, in place, and leaves the rest of the layout as it was.
    @Test(arguments: TDReportBody.Kind.allCases)
    func aBodyWrittenInPlaceEqualsTheBodyAlone(kind: TDReportBody.Kind) throws {
        let body = Self.patternedBody()
        var layout = [UInt8](repeating: 0xA5, count: 7 + kind.size + 5)
        try body.write(kind, into: &layout, at: 7)
        #expect(Array(layout[7..<7 + kind.size]) == (try body.bytes(kind)))
        #expect(layout[..<7].allSatisfy { $0 == 0xA5 } && layout[(7 + kind.size)...].allSatisfy { $0 == 0xA5 })
        // A TDX 1.0 body has no TEE_TCB_SVN2 or MRSERVICETD: they read back as zeros.
        var expected = body
        if kind == .tdx10 {
            expected.teeTCBSVN2 = [UInt8](repeating: 0, count: 16)
            expected.mrServiceTD = [UInt8](repeating: 0, count: 48)
        }
        #expect(try TDReportBody(parsing: layout[7..<7 + kind.size], kind: kind) == expected)
    }

    /// A template made from one body, given another body's RTMRs and REPORTDATA, lays out exactly
    /// what the whole layout gives for the first body with them: random values, every format, and
    /// the template itself left unchanged for the next quote.
    @Test(arguments: [TDQuote.Format.v4, .v5(.tdx10), .v5(.tdx15)])
    func aTemplateLaysOutWhatTheWholeLayoutDoes(format: TDQuote.Format) throws {
        var header = QuoteHeader(version: format.version)
        header.userData = (0..<20).map { _ in UInt8.random(in: 0...255) }
        let template = try TDQuote.SignedPartTemplate(header: header, format: format, body: Self.patternedBody())
        let before = template
        for _ in 0..<50 {
            var body = Self.patternedBody()
            body.rtmrs = (0..<4).map { _ in (0..<48).map { _ in UInt8.random(in: 0...255) } }
            body.reportData = (0..<64).map { _ in UInt8.random(in: 0...255) }
            let signed = try template.signedBytes(rtmrs: body.rtmrs, reportData: body.reportData)
            #expect(signed == (try TDQuote.signedBytes(header: header, format: format, body: body)))
        }
        #expect(template == before)
    }

    @Test func aTemplateRefusesRegistersAndReportDataOfTheWrongWidthByName() throws {
        let template = try TDQuote.SignedPartTemplate(
            header: QuoteHeader(version: 5), format: .v5(.tdx15), body: Self.patternedBody())
        let registers = [[UInt8]](repeating: [UInt8](repeating: 0, count: 48), count: 4)
        let reportData = [UInt8](repeating: 0, count: 64)
        #expect(throws: LayoutError.wrongWidth(field: "rtmrs (registers)", expected: 4, actual: 3)) {
            try template.signedBytes(rtmrs: Array(registers.prefix(3)), reportData: reportData)
        }
        var short = registers
        short[3] = [UInt8](repeating: 0, count: 47)
        #expect(throws: LayoutError.wrongWidth(field: "rtmr3", expected: 48, actual: 47)) {
            try template.signedBytes(rtmrs: short, reportData: reportData)
        }
        #expect(throws: LayoutError.wrongWidth(field: "report_data", expected: 64, actual: 65)) {
            try template.signedBytes(rtmrs: registers, reportData: reportData + [0])
        }
    }

    @Test func aFieldOfTheWrongWidthIsRefusedByName() {
        var body = Self.patternedBody()
        body.mrTD = [1, 2, 3]
        #expect(throws: LayoutError.wrongWidth(field: "mr_td", expected: 48, actual: 3)) { try body.bytes(.tdx10) }
        body = Self.patternedBody()
        body.rtmrs[2] = [UInt8](repeating: 0, count: 49)
        #expect(throws: LayoutError.wrongWidth(field: "rtmr2", expected: 48, actual: 49)) { try body.bytes(.tdx15) }
        var header = QuoteHeader(version: 4)
        header.userData = [UInt8](repeating: 0, count: 21)
        #expect(throws: LayoutError.wrongWidth(field: "user_data", expected: 20, actual: 21)) { try header.bytes }
        var report = EnclaveReport()
        report.mrSigner = []
        #expect(throws: LayoutError.wrongWidth(field: "mr_signer", expected: 32, actual: 0)) { try report.bytes }
        #expect(throws: LayoutError.wrongWidth(field: "signature", expected: 64, actual: 63)) {
            try TDQuote.assemble(
                signedBytes: [], signature: [UInt8](repeating: 0, count: 63),
                attestationKey: [UInt8](repeating: 0, count: 64), qeCertificationData: [])
        }
    }
}
