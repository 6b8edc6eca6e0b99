import CBOR
import TDXQuote

/// The claims a DICE quote's payload carries: the TD's report data and its measurements, grouped
/// into four submodules that each show an origin state ("0", the TDX module the TD was launched
/// under) and a current one ("1", the module running when the quote was made).
public struct DICEClaims: Equatable, Sendable {
    /// Which of the two layouts go-tdx-guest accepts the claims came in.
    public enum Form: String, Sendable {
        /// Intel's specification: `.0` submodule keys, `{"0": …, "1": …}` states, tag 571 around a bstr.
        case specification
        /// The older integration sample: `.1` keys, one state, SEAM inside the Platform TCB.
        case integration
    }

    public var issuer: String?
    public var subject: String?
    /// eat_profile as dotted OID text.
    public var eatProfile: String?
    /// The TD as a TDX 1.5 quote body shows it, which is how go-tdx-guest reads the claims:
    /// TEE_TCB_SVN and the SEAM fields are the origin's, TEE_TCB_SVN2 the current module's SVNs,
    /// the TD's fields and REPORTDATA those at the time of the quote.
    public var body: TDReportBody
    /// SEAM "1": the module running now; `nil` when the quote says nothing of it.
    public var currentSEAM: SEAMMeasurements?
    public var form: Form

    public init(
        body: TDReportBody, currentSEAM: SEAMMeasurements?, issuer: String? = nil, subject: String? = nil,
        eatProfile: String? = nil, form: Form = .specification
    ) {
        self.body = body
        self.currentSEAM = currentSEAM
        self.issuer = issuer
        self.subject = subject
        self.eatProfile = eatProfile
        self.form = form
    }

    /// The SEAM submodule's origin, as the body holds it.
    public var originSEAM: SEAMMeasurements {
        SEAMMeasurements(attributes: body.seamAttributes, mrSeam: body.mrSeam, mrSignerSeam: body.mrSignerSeam)
    }

    // MARK: Encoding (specification form)

    /// The payload's claims map. The TD and Service TD have no separate origin: both of their
    /// states carry the values at the time of the quote.
    public func payload(eatProfileOID: [UInt8] = DICEQuoteLabels.intelProfileOID) throws(DICEQuoteError) -> CBORValue {
        typealias Key = DICEQuoteLabels.Measurement
        try checkWidths()
        let current = currentSEAM ?? originSEAM
        let platform = submodule(
            .platformTCB, origin: [(.int(Key.teeTCBSVN), Self.svn(body.teeTCBSVN))],
            current: [(.int(Key.teeTCBSVN), Self.svn(body.teeTCBSVN2))])
        let seam = submodule(.seam, origin: Self.seamValues(originSEAM), current: Self.seamValues(current))
        var td: [(key: CBORValue, value: CBORValue)] = [
            (.int(Key.attributes), .bytes(body.tdAttributes)), (.int(Key.xfam), .bytes(body.xfam)),
            (.int(Key.primaryDigest), Self.digest(body.mrTD)), (.int(Key.mrConfigID), Self.digest(body.mrConfigID)),
            (.int(Key.mrOwner), Self.digest(body.mrOwner)), (.int(Key.mrOwnerConfig), Self.digest(body.mrOwnerConfig)),
        ]
        for (index, rtmr) in body.rtmrs.enumerated() { td.append((.int(Key.rtmr0 - Int64(index)), Self.digest(rtmr))) }
        let tdModule = submodule(.tdQuoteBody, origin: td, current: td)
        let service: [(key: CBORValue, value: CBORValue)] = [(.int(Key.mrServiceTD), Self.digest(body.mrServiceTD))]
        let serviceTD = submodule(.serviceTD, origin: service, current: service)
        var claims: [(key: CBORValue, value: CBORValue)] = []
        if let issuer { claims.append((.int(DICEQuoteLabels.Claim.issuer), .text(issuer))) }
        if let subject { claims.append((.int(DICEQuoteLabels.Claim.subject), .text(subject))) }
        claims += [
            (.int(DICEQuoteLabels.Claim.eatProfile), .bytes(eatProfileOID)),
            (.int(DICEQuoteLabels.Claim.reportData), .bytes(body.reportData)),
            (.int(DICEQuoteLabels.Claim.submodules), .map([platform, seam, tdModule, serviceTD])),
        ]
        return .map(claims)
    }

    private func submodule(
        _ kind: DICEQuoteLabels.Submodule, origin: [(key: CBORValue, value: CBORValue)],
        current: [(key: CBORValue, value: CBORValue)]
    ) -> (key: CBORValue, value: CBORValue) {
        (
            .text(kind.key),
            .map([
                (.text(DICEQuoteLabels.originState), ConciseEvidence.tagged(origin, of: kind)),
                (.text(DICEQuoteLabels.currentState), ConciseEvidence.tagged(current, of: kind)),
            ])
        )
    }

    private static func seamValues(_ seam: SEAMMeasurements) -> [(key: CBORValue, value: CBORValue)] {
        typealias Key = DICEQuoteLabels.Measurement
        return [
            (.int(Key.attributes), .bytes(seam.attributes)), (.int(Key.primaryDigest), digest(seam.mrSeam)),
            (.int(Key.mrSignerSeam), digest(seam.mrSignerSeam)),
        ]
    }

    /// A CoRIM digest: `[algorithm, value]`.
    private static func digest(_ value: [UInt8]) -> CBORValue {
        .array([.unsigned(DICEQuoteLabels.digestAlgorithmSHA384), .bytes(value)])
    }

    /// tee.tcb-comp-svn: one uint per TEE_TCB_SVN byte, in byte order.
    private static func svn(_ bytes: [UInt8]) -> CBORValue { .array(bytes.map { .unsigned(UInt64($0)) }) }

    /// The widths a TDX 1.5 body has, which is what go-tdx-guest checks the claims against.
    func checkWidths() throws(DICEQuoteError) {
        let b = body
        var fields: [(String, [UInt8], Int)] = [
            ("tee_tcb_svn", b.teeTCBSVN, 16), ("tee_tcb_svn2", b.teeTCBSVN2, 16), ("mr_seam", b.mrSeam, 48),
            ("mr_signer_seam", b.mrSignerSeam, 48), ("seam_attributes", b.seamAttributes, 8),
            ("td_attributes", b.tdAttributes, 8), ("xfam", b.xfam, 8), ("mr_td", b.mrTD, 48),
            ("mr_config_id", b.mrConfigID, 48), ("mr_owner", b.mrOwner, 48), ("mr_owner_config", b.mrOwnerConfig, 48),
            ("report_data", b.reportData, 64), ("mr_service_td", b.mrServiceTD, 48),
        ]
        if let current = currentSEAM {
            fields += [
                ("current mr_seam", current.mrSeam, 48), ("current mr_signer_seam", current.mrSignerSeam, 48),
                ("current seam_attributes", current.attributes, 8),
            ]
        }
        guard b.rtmrs.count == 4 else { throw .wrongWidth("rtmrs (registers)", expected: 4, actual: b.rtmrs.count) }
        fields += b.rtmrs.enumerated().map { ("rtmr\($0.offset)", $0.element, 48) }
        for (name, value, width) in fields where value.count != width {
            throw .wrongWidth(name, expected: width, actual: value.count)
        }
    }
}
