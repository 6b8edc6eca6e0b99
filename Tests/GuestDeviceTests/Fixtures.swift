import AMDPKI
import Foundation
import GuestSurface
import IntelPKI
import SEVProvider
import SimulatedPKI
import Synchronization
import SystemPackage
import TDXProvider
import TestDirectories

/// A caller's address space in a dictionary of mapped regions: reads and writes outside them
/// fault, as `copy_from_user`/`copy_to_user` would.
final class FakeMemory: CallerMemory {
    private let regions = Mutex<[UInt64: [UInt8]]>([:])
    private let next = Mutex<UInt64>(0x10_0000)

    /// Maps `bytes` at a fresh address and returns it.
    func map(_ bytes: [UInt8]) -> UInt64 {
        let address = next.withLock { value in
            defer { value += 0x10_0000 }
            return value
        }
        regions.withLock { $0[address] = bytes }
        return address
    }

    func map(zeros count: Int) -> UInt64 { map([UInt8](repeating: 0, count: count)) }

    func bytes(at address: UInt64) -> [UInt8] { regions.withLock { $0[address] ?? [] } }

    private func locate(_ address: UInt64, _ count: Int) -> (base: UInt64, offset: Int)? {
        regions.withLock { regions in
            for (base, bytes) in regions where address >= base && address - base + UInt64(count) <= UInt64(bytes.count) {
                return (base, Int(address - base))
            }
            return nil
        }
    }

    func read(_ count: Int, at address: UInt64) throws(Errno) -> [UInt8] {
        guard let (base, offset) = locate(address, count) else { throw .badAddress }
        return regions.withLock { Array($0[base]![offset..<offset + count]) }
    }

    func write(_ bytes: [UInt8], at address: UInt64) throws(Errno) {
        guard let (base, offset) = locate(address, bytes.count) else { throw .badAddress }
        regions.withLock { $0[base]!.replaceSubrange(offset..<offset + bytes.count, with: bytes) }
    }
}

enum Fixtures {
    static func temporaryStore(_ name: String) -> KeyStore {
        KeyStore(
            directory: makeTemporaryDirectory("tsmfs-\(name)"))
    }

    static let amdPKI: SimulatedAMDPKI = {
        let configuration = SEVProvider.Configuration()
        return try! SimulatedAMDPKI.load(
            from: temporaryStore("amd"), productLine: configuration.productLine, chipID: configuration.template.chipID,
            reportedTCB: configuration.template.reportedTCB)
    }()

    static let intelPKI: SimulatedIntelPKI = try! SimulatedIntelPKI.load(from: temporaryStore("intel"), platform: TDXPlatform())

    static func sev(vmpl: UInt32 = 0, _ configure: (inout SEVProvider.Configuration) -> Void = { _ in }) -> SEVProvider {
        var configuration = SEVProvider.Configuration()
        configuration.guestVMPL = vmpl
        configure(&configuration)
        return SEVProvider(configuration: configuration, pki: amdPKI, svsm: nil)
    }

    static func tdx() throws -> TDXProvider {
        try TDXProvider(configuration: TDXProvider.Configuration(), pki: intelPKI)
    }
}
