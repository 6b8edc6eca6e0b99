import Crypto
import Glibc

/// A number modulo n, the order of P-256's group: the arithmetic of an ECDSA signature's second
/// half, s = k⁻¹·(z + r·d) mod n, which BoringSSL does not expose on its own.
///
/// Four 64-bit limbs, `w0` the least significant, always fully reduced (below n). Products are
/// Montgomery products (a·b·2⁻²⁵⁶ mod n); a value "in Montgomery form" is x·2²⁵⁶ mod n. Every
/// operation runs the same instructions whatever the values: the final subtractions select with
/// masks, not branches, because these numbers are nonces and keys.
struct P256Scalar: Sendable, Equatable {
    private(set) var w0: UInt64
    private(set) var w1: UInt64
    private(set) var w2: UInt64
    private(set) var w3: UInt64

    private init(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    static var one: P256Scalar { P256Scalar(1, 0, 0, 0) }

    /// n = FFFFFFFF00000000 FFFFFFFFFFFFFFFF BCE6FAADA7179E84 F3B9CAC2FC632551. (Constants are
    /// computed properties: a stored static would be initialised lazily and checked on every use.)
    static var order: P256Scalar {
        P256Scalar(0xF3B9_CAC2_FC63_2551, 0xBCE6_FAAD_A717_9E84, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_0000_0000)
    }

    /// −n⁻¹ mod 2⁶⁴, the factor that makes each Montgomery step divisible by 2⁶⁴ (tested against
    /// its definition).
    static var negatedOrderInverse: UInt64 { 0xCCD1_C8AA_EE00_BC4F }

    /// 2⁵¹² mod n: a Montgomery product with it puts a value into Montgomery form (tested against
    /// its definition).
    static var montgomerySquare: P256Scalar {
        P256Scalar(0x8324_4C95_BE79_EEA2, 0x4699_799C_49BD_6FA6, 0x2845_B239_2B6B_EC59, 0x66E1_2D94_F3D9_5620)
    }

    /// The value of 32 big-endian bytes, reduced modulo n (any 256-bit value is below 2n, so one
    /// conditional subtraction reduces it). A hash becomes ECDSA's z this way, an x coordinate r.
    init(reducing bytes: some Sequence<UInt8>) {
        self = Array(bytes).withUnsafeBytes { Self(reducingBigEndian: $0) }
    }

    /// The same from the bytes in place: a digest's, without copying them out first.
    init(reducingBigEndian bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32, "a P-256 scalar is 32 bytes")
        func limb(_ index: Int) -> UInt64 {
            UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8 * (3 - index), as: UInt64.self))
        }
        self = Self.reduced(P256Scalar(limb(0), limb(1), limb(2), limb(3)), carry: 0)
    }

    /// `count` values drawn uniformly from [1, n − 1]: 256 random bits each, drawn again when they
    /// are zero or not below n (a chance of about 2⁻³²), rather than reduced, which would favour
    /// small values. One read of the kernel's random source serves them all: a read per value cost
    /// a tenth of a presignature. (The kernel's random source is what Swift's own generator reads.)
    static func randomNonzero(count: Int) -> [P256Scalar] {
        var words = [UInt64](repeating: 0, count: 4 * count)
        words.withUnsafeMutableBytes { buffer in
            var filled = 0
            let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            defer { if urandom >= 0 { close(urandom) } }
            // Only the kernel's device: a file put in its place would make the nonces, and so the
            // key, guessable.
            var status = stat()
            if urandom >= 0, fstat(urandom, &status) == 0, status.st_mode & S_IFMT == S_IFCHR {
                while filled < buffer.count {
                    let got = read(urandom, buffer.baseAddress! + filled, buffer.count - filled)
                    if got > 0 {
                        filled += got
                    } else if got == 0 || errno != EINTR {
                        break
                    }
                }
            }
            // Without /dev/urandom: the standard library's generator for whatever is missing.
            var generator = SystemRandomNumberGenerator()
            while filled < buffer.count {
                buffer[filled] = generator.next()
                filled += 1
            }
        }
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { index in
            var candidate = P256Scalar(words[4 * index], words[4 * index + 1], words[4 * index + 2], words[4 * index + 3])
            while candidate.isZero || reduced(candidate, carry: 0) != candidate {
                candidate = P256Scalar(generator.next(), generator.next(), generator.next(), generator.next())
            }
            return candidate
        }
    }

    /// This value as a P-256 private key, whose public point BoringSSL computes: k·G.
    var keyPair: P256.Signing.PrivateKey {
        // Cannot throw: 32 bytes of a value in [1, n − 1] are a valid private key.
        try! P256.Signing.PrivateKey(rawRepresentation: bytes)
    }

    /// 32 big-endian bytes.
    var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            storeBigEndian(into: UnsafeMutableRawBufferPointer(buffer))
            count = 32
        }
    }

    /// Writes the 32 big-endian bytes to the start of `buffer`.
    func storeBigEndian(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= 32, "a P-256 scalar is 32 bytes")
        buffer.storeBytes(of: w3.bigEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: w2.bigEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: w1.bigEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: w0.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    var isZero: Bool { w0 | w1 | w2 | w3 == 0 }

    static func == (a: P256Scalar, b: P256Scalar) -> Bool {
        (a.w0 ^ b.w0) | (a.w1 ^ b.w1) | (a.w2 ^ b.w2) | (a.w3 ^ b.w3) == 0
    }

    /// a + b mod n.
    static func + (a: P256Scalar, b: P256Scalar) -> P256Scalar {
        var carry: UInt64 = 0
        let sum = P256Scalar(
            add(a.w0, b.w0, &carry), add(a.w1, b.w1, &carry), add(a.w2, b.w2, &carry), add(a.w3, b.w3, &carry))
        return reduced(sum, carry: carry)
    }

    /// a·b·2⁻²⁵⁶ mod n: the Montgomery product, one limb of b at a time (CIOS). The running sum
    /// stays below 2n, so one reduction at the end suffices.
    static func montgomeryProduct(_ a: P256Scalar, _ b: P256Scalar) -> P256Scalar {
        var sum = MontgomerySum()
        sum.accumulate(a, times: b.w0)
        sum.accumulate(a, times: b.w1)
        sum.accumulate(a, times: b.w2)
        sum.accumulate(a, times: b.w3)
        return reduced(P256Scalar(sum.t0, sum.t1, sum.t2, sum.t3), carry: sum.t4)
    }

    /// x·2²⁵⁶ mod n.
    var montgomeryForm: P256Scalar { Self.montgomeryProduct(self, Self.montgomerySquare) }

    /// x·2⁻²⁵⁶ mod n: a Montgomery-form value back to its plain value.
    var leavingMontgomeryForm: P256Scalar { Self.montgomeryProduct(self, Self.one) }

    /// x⁻¹ mod n by Fermat's little theorem (n is prime): x^(n−2), squaring and multiplying in
    /// Montgomery form along the exponent's bits, which are public. Zero has no inverse and gives zero.
    var inverse: P256Scalar {
        let base = montgomeryForm
        var power = Self.one.montgomeryForm
        let order = Self.order
        // n − 2: n's lowest limb ends in 0x51, so there is no borrow.
        for limb in [order.w3, order.w2, order.w1, order.w0 - 2] {
            for bit in (0..<64).reversed() {
                power = Self.montgomeryProduct(power, power)
                if limb >> UInt64(bit) & 1 == 1 { power = Self.montgomeryProduct(power, base) }
            }
        }
        return power.leavingMontgomeryForm
    }

    /// `carry`·2²⁵⁶ + `x`, a value below 2n, reduced: minus n unless that borrows past the carry.
    private static func reduced(_ x: P256Scalar, carry: UInt64) -> P256Scalar {
        let order = Self.order
        var borrow: UInt64 = 0
        let difference = P256Scalar(
            subtract(x.w0, order.w0, &borrow), subtract(x.w1, order.w1, &borrow),
            subtract(x.w2, order.w2, &borrow), subtract(x.w3, order.w3, &borrow))
        // All ones to keep the difference: it did not borrow, or the carry absorbed the borrow.
        let keep = 0 &- ((borrow ^ 1) | carry)
        return P256Scalar(
            difference.w0 & keep | x.w0 & ~keep, difference.w1 & keep | x.w1 & ~keep,
            difference.w2 & keep | x.w2 & ~keep, difference.w3 & keep | x.w3 & ~keep)
    }

    /// a + b + carry; the carry out replaces `carry`.
    @inline(__always)
    private static func add(_ a: UInt64, _ b: UInt64, _ carry: inout UInt64) -> UInt64 {
        let (partial, carried1) = a.addingReportingOverflow(b)
        let (sum, carried2) = partial.addingReportingOverflow(carry)
        carry = (carried1 ? 1 : 0) | (carried2 ? 1 : 0)
        return sum
    }

    /// a − b − borrow; the borrow out replaces `borrow`.
    @inline(__always)
    private static func subtract(_ a: UInt64, _ b: UInt64, _ borrow: inout UInt64) -> UInt64 {
        let (partial, borrowed1) = a.subtractingReportingOverflow(b)
        let (difference, borrowed2) = partial.subtractingReportingOverflow(borrow)
        borrow = (borrowed1 ? 1 : 0) | (borrowed2 ? 1 : 0)
        return difference
    }

    /// a·b + addend + carry, which fits in 128 bits: the low word; the high word replaces `carry`.
    @inline(__always)
    fileprivate static func multiplyAdd(_ a: UInt64, _ b: UInt64, _ addend: UInt64, _ carry: inout UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: b)
        let (partial, carried1) = low.addingReportingOverflow(addend)
        let (sum, carried2) = partial.addingReportingOverflow(carry)
        carry = high &+ (carried1 ? 1 : 0) &+ (carried2 ? 1 : 0)
        return sum
    }
}

/// The running sum of a Montgomery product, t4·2²⁵⁶ + t3…t0.
private struct MontgomerySum {
    var t0: UInt64 = 0
    var t1: UInt64 = 0
    var t2: UInt64 = 0
    var t3: UInt64 = 0
    var t4: UInt64 = 0

    /// sum ← (sum + a·limb + m·n) / 2⁶⁴, with m chosen to make the division exact.
    @inline(__always)
    mutating func accumulate(_ a: P256Scalar, times limb: UInt64) {
        var carry: UInt64 = 0
        t0 = P256Scalar.multiplyAdd(a.w0, limb, t0, &carry)
        t1 = P256Scalar.multiplyAdd(a.w1, limb, t1, &carry)
        t2 = P256Scalar.multiplyAdd(a.w2, limb, t2, &carry)
        t3 = P256Scalar.multiplyAdd(a.w3, limb, t3, &carry)
        let (top, overflowed) = t4.addingReportingOverflow(carry)
        let overflow: UInt64 = overflowed ? 1 : 0

        let m = t0 &* P256Scalar.negatedOrderInverse
        let order = P256Scalar.order
        carry = 0
        _ = P256Scalar.multiplyAdd(m, order.w0, t0, &carry)  // zero by the choice of m
        t0 = P256Scalar.multiplyAdd(m, order.w1, t1, &carry)
        t1 = P256Scalar.multiplyAdd(m, order.w2, t2, &carry)
        t2 = P256Scalar.multiplyAdd(m, order.w3, t3, &carry)
        let (shifted, carried) = top.addingReportingOverflow(carry)
        t3 = shifted
        t4 = overflow &+ (carried ? 1 : 0)
    }
}
