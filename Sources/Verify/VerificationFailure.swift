/// A failed check: its name and what was wrong, printed as one line.
public struct VerificationFailure: Error, Sendable, CustomStringConvertible, Equatable {
    public var check: String
    public var detail: String

    public init(_ check: String, _ detail: String) {
        self.check = check
        self.detail = detail
    }

    public var description: String { "\(check): \(detail)" }
}

/// The outcome of a successful verification: what the evidence is and the checks that passed.
public struct Verdict: Sendable, Equatable {
    public var kind: EvidenceKind
    public var checks: [String]
    /// Facts worth printing (TCB status, SVNs).
    public var notes: [String]
}

/// Runs `check`, turning `false` into a failure named `name`.
func require(_ condition: Bool, _ name: String, _ detail: @autoclosure () -> String, into checks: inout [String])
    throws(VerificationFailure)
{
    guard condition else { throw VerificationFailure(name, detail()) }
    checks.append(name)
}
