import Crypto
import Foundation
import Synchronization

/// P-256 ECDSA signatures with their nonce work done ahead of time, in batches, off the signing path.
///
/// An ECDSA signature is r = x(k·G) mod n and s = k⁻¹·(z + r·d) mod n, where only z, the message's
/// hash, depends on the message. A presignature holds r, k⁻¹ and r·d, so signing with one is a hash,
/// a modular addition and one Montgomery product; the point multiplication k·G, most of a
/// signature's cost, happened earlier.
///
/// Batches, because BoringSSL's fixed-base multiplication reads a 150 KB table in constant time:
/// between FUSE requests the table leaves the caches, and a signature made there costs about
/// half again what the same signature costs in a loop. A batch computes its k·G one after another
/// with the table hot, on the process's one refill thread (``RefillWorker``), and inverts all its
/// nonces with one inversion (Montgomery's trick).
///
/// Each nonce k is drawn uniformly from [1, n − 1] (the kernel's random source, rejection
/// sampling) and BoringSSL computes k·G, as the public point of k taken as a private key. (A key
/// pair BoringSSL generates itself would cost five times as much: it signs and verifies once to
/// test itself.) A presignature is taken under the lock and used once; the stock of a process
/// that forked is dropped in the child, since two processes signing with one nonce would give
/// the key away.
final class Presignatures: Sendable {
    struct Presignature: Sendable {
        let r: P256Scalar
        let rTimesKey: P256Scalar
        /// k⁻¹ in Montgomery form, so one Montgomery product gives the plain s.
        let nonceInverse: P256Scalar
    }

    private struct Stock {
        var ready: [Presignature] = []
        /// The process these were made in.
        var owner: pid_t = 0
        var refilling = false
        /// The next refill's size: small at first, doubling up to the full batch while the key
        /// keeps signing, so a key that signs a handful of times prepares a handful of nonces.
        var nextBatch = 8
    }

    private let privateKey: P256Scalar
    /// The largest batch. Each batch pays a fixed price (waking the refill thread, reading the
    /// kernel's random source, one modular inversion, BoringSSL's table back into the caches),
    /// about 90 µs on the machines CI uses: 256 nonces share it where 64 left 3 µs of it on every
    /// quote. A full stock is 24 KB.
    let batchSize: Int
    private let stock = Mutex(Stock())
    private let refillsInBackground: Bool
    /// The calling process's ID: getpid, or a stand-in when a test plays a fork.
    private let currentProcess: @Sendable () -> pid_t

    /// - Parameter refillsInBackground: whether running low starts a refill; without, only
    ///   `refill()` adds presignatures.
    init(
        key: P256.Signing.PrivateKey, batchSize: Int = 256, refillsInBackground: Bool = true,
        currentProcess: @escaping @Sendable () -> pid_t = { getpid() }
    ) {
        precondition(batchSize > 1, "a batch shares one inversion among at least two nonces")
        self.privateKey = P256Scalar(reducing: key.rawRepresentation)
        self.batchSize = batchSize
        self.refillsInBackground = refillsInBackground
        self.currentProcess = currentProcess
    }

    /// r‖s for a message with this digest, or nil when no presignature is ready (the caller then signs the
    /// ordinary way). Taking one when the stock is at half a batch or less starts a refill in the
    /// background.
    func signature(forDigest digest: SHA256Digest) -> [UInt8]? {
        take().flatMap { Self.sign(digest, with: $0) }
    }

    /// r‖s, or nil for s = 0 (probability about 2⁻²⁵⁶), which is not a valid signature.
    static func sign(_ digest: SHA256Digest, with presignature: Presignature) -> [UInt8]? {
        let z = digest.withUnsafeBytes { P256Scalar(reducingBigEndian: $0) }
        let s = P256Scalar.montgomeryProduct(presignature.nonceInverse, z + presignature.rTimesKey)
        guard !s.isZero else { return nil }
        return [UInt8](unsafeUninitializedCapacity: 64) { buffer, count in
            let signature = UnsafeMutableRawBufferPointer(buffer)
            presignature.r.storeBigEndian(into: signature)
            s.storeBigEndian(into: UnsafeMutableRawBufferPointer(rebasing: signature[32...]))
            count = 64
        }
    }

    /// How many presignatures are ready now.
    var readyCount: Int { stock.withLock { $0.ready.count } }

    private func take() -> Presignature? {
        let process = currentProcess()
        let (taken, startRefill) = stock.withLock { stock -> (Presignature?, Bool) in
            if stock.owner != process { stock = Stock(owner: process) }
            let taken = stock.ready.popLast()
            let startRefill = refillsInBackground && !stock.refilling && stock.ready.count <= stock.nextBatch / 2
            if startRefill { stock.refilling = true }
            return (taken, startRefill)
        }
        if startRefill { RefillWorker.enqueue(self) }
        return taken
    }

    /// Makes a batch and adds it to the stock, on the calling thread.
    func refill() {
        let size = stock.withLock { min($0.nextBatch, batchSize) }
        let batch = Self.batch(count: size, key: privateKey)
        let process = currentProcess()
        stock.withLock { stock in
            if stock.owner != process { stock = Stock(owner: process) }
            stock.ready += batch
            stock.refilling = false
            stock.nextBatch = min(2 * size, batchSize)
        }
    }

    static func batch(count: Int, key: P256Scalar) -> [Presignature] {
        batch(nonces: P256Scalar.randomNonzero(count: count), key: key)
    }

    /// Presignatures for the given nonces, BoringSSL computing each k·G as the public point of k
    /// taken as a private key. A nonce whose x(k·G) ≡ 0 mod n (probability about 2⁻²⁵⁶) is left
    /// out: r = 0 is no signature.
    static func batch(nonces candidates: [P256Scalar], key: P256Scalar) -> [Presignature] {
        var rs: [P256Scalar] = []
        var nonces: [P256Scalar] = []  // k, in Montgomery form
        for nonce in candidates {
            // 04 ‖ x ‖ y: the public key alone, not the private key's export, which copies k
            // back out of BoringSSL as well.
            let r = nonce.keyPair.publicKey.x963Representation.withUnsafeBytes { point in
                P256Scalar(reducingBigEndian: UnsafeRawBufferPointer(rebasing: point[1..<33]))
            }
            if r.isZero { continue }
            rs.append(r)
            nonces.append(nonce.montgomeryForm)
        }
        let count = nonces.count
        guard count > 0 else { return [] }
        // prefix[i] = k₀·…·kᵢ; from the inverse of the whole product, each kᵢ⁻¹ is the inverse of
        // prefix[i] times prefix[i − 1], and the inverse of prefix[i − 1] is that of prefix[i] times kᵢ.
        var prefix = nonces
        for index in 1..<count { prefix[index] = P256Scalar.montgomeryProduct(prefix[index - 1], nonces[index]) }
        var inverseOfPrefix = prefix[count - 1].leavingMontgomeryForm.inverse.montgomeryForm
        var inverses = nonces
        for index in stride(from: count - 1, to: 0, by: -1) {
            inverses[index] = P256Scalar.montgomeryProduct(inverseOfPrefix, prefix[index - 1])
            inverseOfPrefix = P256Scalar.montgomeryProduct(inverseOfPrefix, nonces[index])
        }
        inverses[0] = inverseOfPrefix
        return (0..<count).map { index in
            Presignature(
                r: rs[index], rTimesKey: P256Scalar.montgomeryProduct(rs[index].montgomeryForm, key),
                nonceInverse: inverses[index])
        }
    }
}
