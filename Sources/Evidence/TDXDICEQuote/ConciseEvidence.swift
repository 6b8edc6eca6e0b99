import CBOR

/// The TCG concise evidence that carries one state of one submodule:
/// `{0: {0: [[environment, [{1: measurement-values}]]]}}` — an ev-triples map with one evidence
/// triple whose one measurement holds the values. The environment names the submodule by class id
/// (its OID, tag 111), vendor and model.
enum ConciseEvidence {
    /// Tag 571 around the bstr-encoded concise evidence for `values`.
    static func tagged(_ values: [(key: CBORValue, value: CBORValue)], of submodule: DICEQuoteLabels.Submodule) -> CBORValue {
        let environment: CBORValue = .map([
            (
                .unsigned(0),
                .map([
                    (.unsigned(0), .tagged(DICEQuoteLabels.Tag.oid, .bytes(submodule.oidContent))),
                    (.unsigned(1), .text(DICEQuoteLabels.vendor)),
                    (.unsigned(2), .text(submodule.model)),
                ])
            )
        ])
        let triple: CBORValue = .array([environment, .array([.map([(.unsigned(1), .map(values))])])])
        let evidence: CBORValue = .map([(.unsigned(0), .map([(.unsigned(0), .array([triple]))]))])
        return .tagged(DICEQuoteLabels.Tag.conciseEvidence, .bytes(CBOREncoder.encode(evidence)))
    }

    /// The measurement-values map inside a tag-571 item, read as go-tdx-guest reads it: the tag
    /// wraps a bstr holding the concise evidence (or, in the integration sample, the map itself);
    /// only the first triple and its first measurement count.
    static func measurementValues(_ item: CBORValue, place: String) throws(DICEQuoteError) -> CBORValue {
        guard case .tagged(DICEQuoteLabels.Tag.conciseEvidence, let content) = item else {
            throw .wrongType(place, expected: "tag 571 (concise evidence)")
        }
        var evidence = content
        if case .bytes(let encoded) = content { evidence = try DICEQuoteError.decode(encoded, in: place) }
        guard let triples = evidence[0]?[0]?.arrayValue, let triple = triples.first?.arrayValue, triple.count >= 2 else {
            throw .missing("\(place): the evidence triple (concise evidence {0: {0: [triple]}})")
        }
        guard let measurement = triple[1].arrayValue?.first, let values = measurement[1], values.mapValue != nil else {
            throw .missing("\(place): the measurement-values map (key 1 of the triple's first measurement)")
        }
        return values
    }
}
