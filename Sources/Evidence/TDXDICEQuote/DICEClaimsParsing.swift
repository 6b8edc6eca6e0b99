import CBOR
import TDXQuote

extension DICEClaims {
    /// Reads a payload's claims by go-tdx-guest's rules (both forms), checking every measurement's
    /// type and width; unknown claims are ignored, as EAT asks.
    public init(parsing payload: [UInt8]) throws(DICEQuoteError) {
        typealias Key = DICEQuoteLabels.Measurement
        let claims = try DICEQuoteError.decode(payload, in: "payload")
        guard claims.mapValue != nil else { throw .wrongType("the payload", expected: "a CBOR map of claims") }
        var body = TDReportBody()
        guard case .bytes(let reportData)? = claims[DICEQuoteLabels.Claim.reportData] else {
            throw .missing("report_data (claim -212, a byte string)")
        }
        body.reportData = try Self.checked(reportData, "report_data", width: 64)
        guard let submodules = claims[DICEQuoteLabels.Claim.submodules], submodules.mapValue != nil else {
            throw .missing("submods (claim -11, a map)")
        }
        let (platformKey, platform) = try Self.submodule(.platformTCB, in: submodules)
        let form: Form = platformKey == DICEQuoteLabels.Submodule.platformTCB.integrationKey ? .integration : .specification
        let (platformOrigin, platformCurrent) = try Self.states(platform, name: "Platform TCB")
        body.teeTCBSVN = try Self.svn(platformOrigin, Key.teeTCBSVN, "tee_tcb_svn")
        if platformOrigin[Key.integrationTeeTCBSVN2] != nil {
            body.teeTCBSVN2 = try Self.svn(platformOrigin, Key.integrationTeeTCBSVN2, "tee_tcb_svn2")
        } else if let platformCurrent {
            body.teeTCBSVN2 = try Self.svn(platformCurrent, Key.teeTCBSVN, "tee_tcb_svn2")
        } else {
            throw .missing("tee_tcb_svn2 (the Platform TCB's current state \"1\")")
        }
        // The integration sample keeps the SEAM fields in the Platform TCB map.
        var seamOrigin = platformOrigin
        var seamCurrent: CBORValue?
        if let seam = try? Self.submodule(.seam, in: submodules) {
            (seamOrigin, seamCurrent) = try Self.states(seam.value, name: "SEAM")
        }
        let origin = try Self.seam(seamOrigin, state: "")
        (body.seamAttributes, body.mrSeam, body.mrSignerSeam) = (origin.attributes, origin.mrSeam, origin.mrSignerSeam)
        let currentSEAM = try seamCurrent.map { (values) throws(DICEQuoteError) in try Self.seam(values, state: "current ") }

        let (td, _) = try Self.states(try Self.submodule(.tdQuoteBody, in: submodules).value, name: "TD quote body")
        body.tdAttributes = try Self.bytes(td, Key.attributes, "td_attributes", width: 8)
        body.xfam = try Self.bytes(td, Key.xfam, "xfam", width: 8)
        body.mrTD = try Self.digest(td, Key.primaryDigest, "mr_td")
        body.mrConfigID = try Self.digest(td, Key.mrConfigID, "mr_config_id")
        body.mrOwner = try Self.digest(td, Key.mrOwner, "mr_owner")
        body.mrOwnerConfig = try Self.digest(td, Key.mrOwnerConfig, "mr_owner_config")
        for index in 0..<4 { body.rtmrs[index] = try Self.digest(td, Key.rtmr0 - Int64(index), "rtmr\(index)") }
        let (service, _) = try Self.states(try Self.submodule(.serviceTD, in: submodules).value, name: "Service TD")
        body.mrServiceTD = try Self.digest(service, Key.mrServiceTD, "mr_service_td")

        var eatProfile: String?
        switch claims[DICEQuoteLabels.Claim.eatProfile] {
        case .bytes(let oid)?: eatProfile = Self.dottedOID(oid)
        case .text(let text)?: eatProfile = text
        default: eatProfile = nil
        }
        self.init(
            body: body, currentSEAM: currentSEAM, issuer: claims[DICEQuoteLabels.Claim.issuer]?.textValue,
            subject: claims[DICEQuoteLabels.Claim.subject]?.textValue, eatProfile: eatProfile, form: form)
    }

    /// The submodule's entry and the key it was found under: the integration key first, as go-tdx-guest looks.
    private static func submodule(_ kind: DICEQuoteLabels.Submodule, in submodules: CBORValue) throws(DICEQuoteError) -> (
        key: String, value: CBORValue
    ) {
        for key in [kind.integrationKey, kind.key] {
            if let value = submodules.mapValue?.first(where: { $0.key == .text(key) })?.value { return (key, value) }
        }
        throw .missing("the \(kind.model) submodule (\(kind.key))")
    }

    /// Origin and current measurement-values maps of a submodule: `{"0": 571(…), "1": 571(…)}`
    /// (a "2" is read as current too), or a bare tag 571 holding the origin alone.
    private static func states(_ submodule: CBORValue, name: String) throws(DICEQuoteError) -> (
        origin: CBORValue, current: CBORValue?
    ) {
        func state(_ key: String) -> CBORValue? { submodule.mapValue?.first(where: { $0.key == .text(key) })?.value }
        guard let origin = state(DICEQuoteLabels.originState) else {
            return (try ConciseEvidence.measurementValues(submodule, place: "the \(name) submodule"), nil)
        }
        let current = state(DICEQuoteLabels.currentState) ?? state("2")
        return (
            try ConciseEvidence.measurementValues(origin, place: "the \(name) origin state"),
            try current.map { (item) throws(DICEQuoteError) in
                try ConciseEvidence.measurementValues(item, place: "the \(name) current state")
            }
        )
    }

    private static func seam(_ values: CBORValue, state: String) throws(DICEQuoteError) -> SEAMMeasurements {
        typealias Key = DICEQuoteLabels.Measurement
        return SEAMMeasurements(
            attributes: try bytes(values, Key.attributes, "\(state)seam_attributes", width: 8),
            mrSeam: try digest(values, Key.primaryDigest, "\(state)mr_seam"),
            mrSignerSeam: try digest(values, Key.mrSignerSeam, "\(state)mr_signer_seam"))
    }

    private static func value(_ map: CBORValue, _ key: Int64, _ name: String) throws(DICEQuoteError) -> CBORValue {
        guard let value = map[key] else { throw .missing("\(name) (key \(key))") }
        return value
    }

    private static func checked(_ bytes: [UInt8], _ name: String, width: Int) throws(DICEQuoteError) -> [UInt8] {
        guard bytes.count == width else { throw .wrongWidth(name, expected: width, actual: bytes.count) }
        return bytes
    }

    private static func bytes(_ map: CBORValue, _ key: Int64, _ name: String, width: Int) throws(DICEQuoteError) -> [UInt8] {
        guard case .bytes(let bytes) = try value(map, key, name) else { throw .wrongType(name, expected: "a byte string") }
        return try checked(bytes, name, width: width)
    }

    /// A digest: a bstr, or CoRIM's `[algorithm, bstr]` (the algorithm is not read, as go-tdx-guest does not).
    private static func digest(_ map: CBORValue, _ key: Int64, _ name: String) throws(DICEQuoteError) -> [UInt8] {
        switch try value(map, key, name) {
        case .bytes(let bytes): return try checked(bytes, name, width: 48)
        case .array(let items) where items.count == 2:
            guard case .bytes(let bytes) = items[1] else { break }
            return try checked(bytes, name, width: 48)
        default: break
        }
        throw .wrongType(name, expected: "a digest (a byte string or [algorithm, byte string])")
    }

    /// SVNs: an array of uints up to 255 (or a bstr), 16 of them.
    private static func svn(_ map: CBORValue, _ key: Int64, _ name: String) throws(DICEQuoteError) -> [UInt8] {
        switch try value(map, key, name) {
        case .bytes(let bytes): return try checked(bytes, name, width: 16)
        case .array(let items):
            var svn: [UInt8] = []
            for item in items {
                guard case .unsigned(let number) = item, number <= 0xFF else {
                    throw .wrongType("every element of \(name)", expected: "an unsigned integer up to 255")
                }
                svn.append(UInt8(number))
            }
            return try checked(svn, name, width: 16)
        default: throw .wrongType(name, expected: "an array of SVNs")
        }
    }

    /// An OID's DER content as dotted text (RFC 9090's `~oid`).
    static func dottedOID(_ content: [UInt8]) -> String {
        guard let first = content.first else { return "" }
        var arcs = first < 80 ? [UInt64(first / 40), UInt64(first % 40)] : [2, UInt64(first) - 80]
        var value: UInt64 = 0
        for byte in content.dropFirst() {
            value = value << 7 | UInt64(byte & 0x7F)
            if byte & 0x80 == 0 {
                arcs.append(value)
                value = 0
            }
        }
        return arcs.map(String.init).joined(separator: ".")
    }
}
