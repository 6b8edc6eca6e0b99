/// The inverse of a scalar modulo an odd modulus (a curve's group order), by the binary extended
/// Euclidean algorithm on fixed 64-bit limbs. BigInt's general inverse allocates at every step and
/// cost three times a whole BoringSSL P-256 signature; this one works in place.
enum ModularInverse {
    /// `a⁻¹ mod n` for `0 < a < n`, `n` odd; big-endian byte arrays of equal length. Nil when `a` is
    /// zero or shares a factor with `n` (never for a prime `n`).
    static func inverse(_ a: [UInt8], modulo n: [UInt8]) -> [UInt8]? {
        let count = (n.count + 7) / 8 + 1  // one spare limb: x + n may carry past n's width
        let modulus = limbs(n, count: count)
        var u = limbs(a, count: count)
        var v = modulus
        var x1 = [UInt64](repeating: 0, count: count)
        var x2 = x1
        x1[0] = 1
        guard !isZero(u), modulus[0] & 1 == 1 else { return nil }
        while !isOne(u) && !isOne(v) {
            if isZero(u) || isZero(v) { return nil }
            while u[0] & 1 == 0 {
                shiftRight(&u)
                halveModulo(&x1, modulus)
            }
            while v[0] & 1 == 0 {
                shiftRight(&v)
                halveModulo(&x2, modulus)
            }
            if compare(u, v) >= 0 {
                subtract(&u, v)
                subtractModulo(&x1, x2, modulus)
            } else {
                subtract(&v, u)
                subtractModulo(&x2, x1, modulus)
            }
        }
        return bytes(isOne(u) ? x1 : x2, count: n.count)
    }

    /// Little-endian limbs of a big-endian byte string.
    private static func limbs(_ bytes: [UInt8], count: Int) -> [UInt64] {
        var result = [UInt64](repeating: 0, count: count)
        for (index, byte) in bytes.reversed().enumerated() {
            result[index / 8] |= UInt64(byte) << (8 * UInt64(index % 8))
        }
        return result
    }

    private static func bytes(_ limbs: [UInt64], count: Int) -> [UInt8] {
        (0..<count).reversed().map { index in UInt8(truncatingIfNeeded: limbs[index / 8] >> (8 * UInt64(index % 8))) }
    }

    private static func isZero(_ x: [UInt64]) -> Bool { x.allSatisfy { $0 == 0 } }
    private static func isOne(_ x: [UInt64]) -> Bool { x[0] == 1 && x.dropFirst().allSatisfy { $0 == 0 } }

    private static func compare(_ x: [UInt64], _ y: [UInt64]) -> Int {
        for index in stride(from: x.count - 1, through: 0, by: -1) where x[index] != y[index] {
            return x[index] > y[index] ? 1 : -1
        }
        return 0
    }

    private static func shiftRight(_ x: inout [UInt64]) {
        for index in 0..<x.count {
            let carry = index + 1 < x.count ? x[index + 1] << 63 : 0
            x[index] = x[index] >> 1 | carry
        }
    }

    /// x ← x − y (x ≥ y).
    private static func subtract(_ x: inout [UInt64], _ y: [UInt64]) {
        var borrow: UInt64 = 0
        for index in 0..<x.count {
            let (partial, overflow1) = x[index].subtractingReportingOverflow(y[index])
            let (result, overflow2) = partial.subtractingReportingOverflow(borrow)
            x[index] = result
            borrow = (overflow1 || overflow2) ? 1 : 0
        }
    }

    private static func add(_ x: inout [UInt64], _ y: [UInt64]) {
        var carry: UInt64 = 0
        for index in 0..<x.count {
            let (partial, overflow1) = x[index].addingReportingOverflow(y[index])
            let (result, overflow2) = partial.addingReportingOverflow(carry)
            x[index] = result
            carry = (overflow1 || overflow2) ? 1 : 0
        }
    }

    /// x ← x / 2 mod n (x < n): halve an even x, else halve x + n.
    private static func halveModulo(_ x: inout [UInt64], _ n: [UInt64]) {
        if x[0] & 1 == 1 { add(&x, n) }
        shiftRight(&x)
    }

    /// x ← x − y mod n (x, y < n).
    private static func subtractModulo(_ x: inout [UInt64], _ y: [UInt64], _ n: [UInt64]) {
        if compare(x, y) < 0 { add(&x, n) }
        subtract(&x, y)
    }
}
