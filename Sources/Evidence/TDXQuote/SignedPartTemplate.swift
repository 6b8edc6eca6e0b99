import ByteLayout

extension TDQuote {
    /// The signed part (header ‖ framed body) of a run of quotes whose bodies differ only in their
    /// RTMRs and REPORTDATA, laid out once. A TD's quotes between two module updates are such a
    /// run: everything else in the body is the TD's identity and the platform's. Writing those five
    /// fields into a copy costs a fraction of laying out all seventeen on every quote.
    public struct SignedPartTemplate: Equatable, Sendable {
        public let format: Format
        /// The signed part of `body`, whose RTMRs and REPORTDATA each quote overwrites.
        private let bytes: [UInt8]
        private let bodyStart: Int

        public init(header: QuoteHeader, format: Format, body: TDReportBody) throws(LayoutError) {
            self.format = format
            self.bytes = try TDQuote.signedBytes(header: header, format: format, body: body)
            self.bodyStart = TDQuote.bodyOffset(format)
        }

        /// The signed part with these RTMRs and REPORTDATA: byte for byte what
        /// ``TDQuote/signedBytes(header:format:body:)`` gives for the template's body with them.
        public func signedBytes(rtmrs: [[UInt8]], reportData: [UInt8]) throws(LayoutError) -> [UInt8] {
            try TDReportBody.checkRegisterCount(rtmrs)
            // Room for what ``TDQuote/assemble(signedBytes:signature:attestationKey:qeCertificationData:)``
            // appends, as the full layout leaves it.
            var out = [UInt8](unsafeUninitializedCapacity: bytes.count + TDQuote.signatureDataHeadSize) { buffer, count in
                bytes.withUnsafeBufferPointer { template in
                    buffer.baseAddress!.initialize(from: template.baseAddress!, count: template.count)
                }
                count = bytes.count
            }
            for (index, register) in rtmrs.enumerated() {
                try out.write(register, to: TDReportBody.Fields.rtmrs[index], base: bodyStart)
            }
            try out.write(reportData, to: TDReportBody.Fields.reportData, base: bodyStart)
            return out
        }
    }
}
