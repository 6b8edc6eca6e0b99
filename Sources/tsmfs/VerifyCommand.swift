import ArgumentParser
import ByteLayout
import Dispatch
import Foundation
import Synchronization
import Verify

/// `tsmfs verify`: the reference verifier of everything tsmfs emits.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify tsmfs evidence (TDX quotes, DICE quotes, SNP reports, CCA tokens) against exported roots.",
        discussion: """
            Each FILE's kind is recognised from its bytes. Checks: TDX QE quotes — the PCK chain to \
            intel-sgx-root-ca.der, the QE report's PCK signature and attestation-key binding, the \
            quote signature, and with --collateral the signed TCB info and QE identity applied to \
            the quote (FMSPC, TDX module identity, TCB level, QE identity) and its CRLs (neither \
            the PCK nor the Platform CA revoked). DICE quotes (CWT / COSE_Sign1) — the x5bag's \
            certificates as one path to dice-root-ca.der, the ES384 signature by its end entity, \
            the module certificate's SVN and FWID against the current TCB the claims state (no \
            collateral). SNP reports (with --auxblob) — ARK (one of DIR/<line>/ark.der) → ASK → \
            VCEK in RSASSA-PSS, the report signature, the VCEK's hwID and TCB, and \
            DIR/<line>/crl.der (neither the ASK nor the VCEK revoked). CCA tokens — the platform \
            token against cpak.pem, the realm token against its RAK, their binding. --report-data \
            checks REPORTDATA (or the CCA challenge, zero-padded to 64).

            Exit status: 0 when every FILE is valid, 1 when one is not (one line naming the failed \
            check), 2 for usage errors.

            Examples:
              tsmfs verify --roots /tmp/trust --collateral /tmp/trust quote.dat
              tsmfs verify --roots /tmp/trust --auxblob aux.bin --report-data $(xxd -p -c 64 nonce) report.bin
            """
    )

    @Option(help: ArgumentHelp("What tsmfs roots wrote.", valueName: "dir"))
    var roots: String

    @Option(help: ArgumentHelp("What tsmfs collateral wrote (QE-based TDX quotes).", valueName: "dir"))
    var collateral: String?

    @Option(help: ArgumentHelp("The SNP certificate table (configfs auxblob) for an SNP report.", valueName: "file"))
    var auxblob: String?

    @Option(help: ArgumentHelp("The expected REPORTDATA (or CCA challenge), in hex.", valueName: "hex"))
    var reportData: String?

    @Argument(help: "The evidence files.")
    var files: [String]

    func validate() throws {
        if let reportData, [UInt8](hex: reportData) == nil || reportData.isEmpty || reportData.count > 128 {
            throw ValidationError("--report-data must be 1 to 64 bytes of hexadecimal digits")
        }
        if files.isEmpty { throw ValidationError("name the evidence files to verify") }
    }

    func run() throws {
        let trust = TrustRoots(directory: roots, collateralDirectory: collateral)
        let expected = reportData.flatMap { [UInt8](hex: $0) }
        // Read once; a failure to read it is each file's failure, in its place.
        let certificates = auxblob.map { path in
            Result { () throws(VerificationFailure) -> [UInt8] in try readEvidence(path) }
        }
        var failed = false
        for file in files {
            do throws(VerificationFailure) {
                let bytes = try readEvidence(file)
                let table = try certificates?.get()
                let verdict = try Self.blockingOnMainThread { () async throws(VerificationFailure) in
                    try await Self.verify(bytes, trust: trust, auxblob: table, reportData: expected)
                }
                let notes = verdict.notes.isEmpty ? "" : "; " + verdict.notes.joined(separator: ", ")
                print("\(file): valid \(verdict.kind.rawValue) (\(verdict.checks.count) checks)\(notes)")
            } catch {
                failed = true
                print("\(file): invalid: \(error)")
            }
        }
        if failed { throw ExitCode.failure }
    }

    static func verify(_ bytes: [UInt8], trust: TrustRoots, auxblob: [UInt8]?, reportData: [UInt8]?)
        async throws(VerificationFailure) -> Verdict
    {
        switch EvidenceKind.detect(bytes) {
        case .tdxQuote?: return try await TDXQuoteVerifier.verify(bytes, roots: trust, reportData: reportData.map(padded))
        case .tdxDICEQuote?:
            return try await DICEQuoteVerifier.verify(bytes, roots: trust, reportData: reportData.map(padded))
        case .snpReport?:
            guard let auxblob else {
                throw VerificationFailure("certificate table", "an SNP report needs --auxblob (the certificate table)")
            }
            return try SNPReportVerifier.verify(bytes, certificates: auxblob, roots: trust, reportData: reportData.map(padded))
        case .ccaToken?: return try CCATokenVerifier.verify(bytes, roots: trust, challenge: reportData)
        case .snpCertificateTable?:
            throw VerificationFailure("evidence", "a certificate table alone; pass it as --auxblob with its report")
        case nil: throw VerificationFailure("evidence", "not a TDX quote, SNP report or CCA token (\(bytes.count) bytes)")
        }
    }

    /// Runs `operation` (the verifiers are async: swift-certificates' path validation is) to its end.
    /// Only for the command's own main thread, which is none of the concurrency pool's: the pool
    /// stays free to run the operation while this thread waits.
    static func blockingOnMainThread<T: Sendable>(_ operation: @escaping @Sendable () async throws(VerificationFailure) -> T)
        throws(VerificationFailure) -> T
    {
        let outcome = Mutex<Result<T, VerificationFailure>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let result: Result<T, VerificationFailure>
            do throws(VerificationFailure) { result = .success(try await operation()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// REPORTDATA fields are 64 bytes; a shorter expectation is zero-padded as clients pad nonces.
    static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: max(0, 64 - bytes.count)) }
}

/// `tsmfs inspect`: evidence decoded into named fields.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the fields of tsmfs evidence (TDX quote, DICE quote, SNP report or certificate table, CCA token).",
        discussion: """
            The kind is recognised from the bytes. Prints one field per line, or with --json an \
            object {"kind": …, "fields": {…}} with the fields in layout order. A file that is no \
            evidence, or is truncated, is reported in one line (exit status 1).

            Example:
              tsmfs inspect /sys/kernel/config/tsm/report/r/outblob
            """
    )

    @Flag(help: "Print JSON.")
    var json = false

    @Argument(help: "The evidence file.")
    var file: String

    func run() throws {
        let report: Inspection.Report
        do throws(VerificationFailure) {
            report = try Inspection.inspect(try readEvidence(file))
        } catch {
            throw exitWithMessage("\(file): \(error)")
        }
        print(json ? report.json : report.text)
    }
}

/// Evidence files are small; anything beyond 16 MiB is refused before it is read.
func readEvidence(_ path: String) throws(VerificationFailure) -> [UInt8] {
    let limit = 16 << 20
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw VerificationFailure("evidence", "cannot read \(path): it is a directory")
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw VerificationFailure("evidence", "cannot read \(path)")
    }
    defer { try? handle.close() }
    let data = (try? handle.read(upToCount: limit + 1)) ?? nil ?? Data()
    guard data.count <= limit else { throw VerificationFailure("evidence", "\(path) is larger than 16 MiB") }
    return Array(data)
}
