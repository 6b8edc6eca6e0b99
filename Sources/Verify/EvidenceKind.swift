import ByteLayout
import SNPReport
import TDXDICEQuote
import TDXQuote

/// The evidence tsmfs emits, recognised from its bytes.
public enum EvidenceKind: String, Sendable, CaseIterable {
    case tdxQuote = "TDX quote (QE, PCK chain)"
    case tdxDICEQuote = "TDX quote (DICE chain)"
    case snpReport = "SEV-SNP attestation report"
    case snpCertificateTable = "SEV-SNP certificate table (auxblob)"
    case ccaToken = "Arm CCA attestation token"

    /// What `bytes` are, or `nil` when they are none of the above.
    public static func detect(_ bytes: [UInt8]) -> EvidenceKind? {
        if bytes.count >= 3, bytes[0] == 0xD9, (bytes[1], bytes[2]) == (0x01, 0x8F) || (bytes[1], bytes[2]) == (0x03, 0x8B) {
            return .ccaToken
        }
        if DICEQuote.hasDICEPrefix(bytes) { return .tdxDICEQuote }
        if bytes.count >= 8, [4, 5].contains(bytes.loadLittleEndian(UInt16.self, at: 0)),
            bytes.loadLittleEndian(UInt32.self, at: 4) == QuoteHeader.teeTypeTDX, let signed = try? TDQuote.parseSignedPart(bytes)
        {
            // The certification data type follows the signature data length, signature and key (4 + 128 bytes).
            let typeOffset = signed.length + 4 + 128
            guard typeOffset + 2 <= bytes.count,
                bytes.loadLittleEndian(UInt16.self, at: typeOffset) == TDQuote.certificationDataQEReport
            else { return nil }
            return .tdxQuote
        }
        if bytes.count == AttestationReport.size, (2...5).contains(bytes.loadLittleEndian(UInt32.self, at: 0)) {
            return .snpReport
        }
        if bytes.count >= CertificateTable.entrySize,
            CertificateTable.Kind.allCases.contains(where: { Array(bytes[0..<16]) == $0.guid })
        {
            return .snpCertificateTable
        }
        return nil
    }
}
