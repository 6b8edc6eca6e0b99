/// Every choice of tsmfs's **provisional** DICE quote layout, in one table.
///
/// Intel document 874303 ("TDX Quoting extension"), which defines the real format, is not public;
/// the Linux series only says the quote is produced by the TDX module, that "all attestation
/// evidence is embedded in the Quote itself" as a chain of layered DICE certificates, and that the
/// guest ABI (configfs-tsm outblob = the Quote) is unchanged. What is below is tsmfs's guess,
/// chosen to reuse what verifiers already parse; replace this module when 874303 is published.
///
/// | Part | Choice |
/// |---|---|
/// | header | DCAP's 48-byte header, version 4 or 5, attestation key type 2 (ECDSA-256-with-P-256), TEE type 0x81, Intel's QE vendor id kept |
/// | body | the TD quote body exactly as in QE quotes (v4: TDX 1.0; v5: type + size + TDX 1.0 or 1.5 body); REPORTDATA where it always is |
/// | signature data length | u32, little-endian: the bytes that follow |
/// | signature | ECDSA P-256 / SHA-256 over header ‖ framed body, raw r ‖ s (64 bytes), by the quoting key |
/// | certification data type | u16 = 8 (``DICEQuoteLayout/certificationDataType``), a value DCAP does not use (1–7 are taken) |
/// | certification data size | u32: the PEM bytes that follow |
/// | certification data | PEM X.509 certificates, leaf first: quoting key → TDX module → DeviceID → DICE root CA |
/// | quoting-key certificate | P-256 key renewed at every quote initialisation (daemon start, module update); CA:FALSE, digitalSignature |
/// | TDX module certificate | tcg-dice-TcbInfo (2.23.133.5.4.1): vendor "Intel", model "TDX module", version, SVN = TEE_TCB_SVN byte 0, layer 1, FWID SHA-384 = MRSEAM; its key is derived from the DeviceID secret and the module's measurement (a CDI), so it changes with the module |
/// | DeviceID certificate | tcg-dice-Ueid (2.23.133.5.4.4): the platform's UEID (0x01 ‖ SHA-256 of FMSPC ‖ platform instance id); tcg-dice-TcbInfo layer 0, model "TDX platform" |
/// | DICE root CA | self-signed, exported by `tsmfs roots --provider tdx` as dice-root-ca.pem/.der |
/// | signatures in the chain | ECDSA P-256 / SHA-256 |
public enum DICEQuoteLayout {
    /// The certification data type that marks a DICE certificate chain (PEM, leaf first).
    public static let certificationDataType: UInt16 = 8
    /// Raw r ‖ s.
    public static let signatureLength = 64
}
