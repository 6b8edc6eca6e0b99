/// Which of AMD's keys signs a report: the chip's VCEK or the cloud provider's VLEK. Reports name it
/// in SIGNER_INFO, the KDS in its paths, the certificate table by GUID.
public enum EndorsementKey: String, Sendable, CaseIterable {
    case vcek, vlek

    /// SIGNER_INFO bits 4:2 of a report.
    public var signerInfoValue: UInt32 { self == .vcek ? 0 : 1 }

    public init?(signerInfoValue: UInt32) {
        switch signerInfoValue {
        case 0: self = .vcek
        case 1: self = .vlek
        default: return nil
        }
    }
}
