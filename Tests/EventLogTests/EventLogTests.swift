import Crypto
import EventLog
import Testing

/// The log and table layouts byte for byte, and the replay rule against known vectors.
@Suite struct EventLogTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(($0 >> 4) & 0xF, radix: 16) + String($0 & 0xF, radix: 16) }.joined()
    }

    @Test func oneSeparatorFromZeroGivesTheKnownRegister() {
        let log = CCEventLog(events: [
            LoggedEvent(index: MeasurementIndex.rtmr0, type: .separator, measuringItsData: [0, 0, 0, 0])
        ])
        #expect(
            Self.hex(log.replayedRegisters[0])
                == "518923b0f955d08da077c96aaba522b9decede61c599cea6c41889cfbea4ae4d50529d96fe4d1afdafb65e7f95bf23c4")
        #expect(log.replayedRegisters[1] == [UInt8](repeating: 0, count: 48))
        // The separator's digest is SHA-384 of its four zero bytes.
        #expect(
            Self.hex(log.events[0].digest)
                == "394341b7182cd227c5c6b07ef8000cdfd86136c4292b8e576573ad7ed9ae41019f5818b4b971c9effc60e1ad9f1289f0")
    }

    @Test func noActionEventsExtendNothing() {
        let log = CCEventLog(events: [LoggedEvent(index: 1, type: .noAction, digest: [UInt8](repeating: 0, count: 48), data: [])])
        #expect(log.replayedRegisters == [[UInt8]](repeating: [UInt8](repeating: 0, count: 48), count: 3))
    }

    @Test func theSpecIDEventIsTDVFs() {
        let event = CCEventLog.specIDEvent
        #expect(event.count == 65)
        #expect(Array(event[0..<8]) == [1, 0, 0, 0, 3, 0, 0, 0])
        #expect(Array(event[8..<28]) == [UInt8](repeating: 0, count: 20))
        #expect(Array(event[28..<32]) == [33, 0, 0, 0])
        #expect(Array(event[32..<48]) == Array("Spec ID Event03".utf8) + [0])
        #expect(Array(event[52..<56]) == [0, 2, 0, 2])
        #expect(Array(event[56..<65]) == [1, 0, 0, 0, 0x0C, 0, 48, 0, 0])
    }

    @Test func theLogIsPaddedWithFFToTheAreaAndRefusesToOverflowIt() throws {
        let events = MeasuredBoot().events
        let log = try CCEventLog(events: events).bytes()
        #expect(log.count == CCEventLog.defaultAreaLength)
        let used = 65 + events.reduce(0) { $0 + $1.bytes.count }
        #expect(log[used...].allSatisfy { $0 == 0xFF })
        #expect(throws: CCEventLog.LayoutError.overflow(needed: used + 4, area: used)) {
            try CCEventLog(events: events).bytes(areaLength: used)
        }
    }

    @Test func theTableChecksumsAndNamesTDX() {
        let table = CCELTable(logAreaLength: 0x40000, logAreaStart: 0xBEDB_F000).bytes
        #expect(table.count == 56)
        #expect(table.reduce(0) { ($0 + Int($1)) % 256 } == 0)
        #expect(Array(table[0..<8]) == Array("CCEL".utf8) + [56, 0, 0, 0])
        #expect(table[CCELTable.Offset.ccType] == 2 && table[CCELTable.Offset.ccSubtype] == 0)
        #expect(Array(table[40..<48]) == [0, 0, 4, 0, 0, 0, 0, 0])
        #expect(Array(table[48..<56]) == [0, 0xF0, 0xDB, 0xBE, 0, 0, 0, 0])
    }

    /// The default boot has the shape go-tdx-guest's GRUB extraction needs: RTMR0 firmware and
    /// Secure Boot configuration with one separator, RTMR1 the boot loader after one separator,
    /// RTMR2 GRUB's commands and files, and nothing in RTMR3.
    @Test func theDefaultBootHasTheShapeOfALinuxTD() {
        let events = MeasuredBoot().events
        #expect(events.allSatisfy { (1...3).contains($0.index) })
        for index: UInt32 in 1...2 {
            #expect(events.filter { $0.index == index && $0.type == .separator }.count == 1, "one separator in MR \(index)")
        }
        let rtmr1 = events.filter { $0.index == 2 }.map(\.type)
        #expect(rtmr1.prefix(3) == [.efiAction, .separator, .efiBootServicesApplication])
        let grub = events.filter { $0.index == 3 && $0.type == .ipl }
        #expect(grub.contains { $0.data.starts(with: Array("grub_cmd: linux ".utf8)) })
        #expect(grub.contains { $0.data.starts(with: Array("kernel_cmdline: ".utf8)) })
        // GRUB's command digests are the text after the prefix, without the NUL.
        let command = grub.first { $0.data.starts(with: Array("kernel_cmdline: ".utf8)) }!
        let text = Array(command.data.dropFirst("kernel_cmdline: ".utf8.count).dropLast())
        #expect(command.digest == Array(SHA384.hash(data: text)))
        #expect(MeasuredBoot(stubMeasures: false).events.filter { $0.type == .eventTag }.isEmpty)
        #expect(MeasuredBoot().events.filter { $0.type == .eventTag }.count == 2)
    }

    @Test func guidsAreInEFIMemoryOrder() {
        #expect(
            UEFIEventData.globalVariable == [
                0x61, 0xDF, 0xE4, 0x8B, 0xCA, 0x93, 0xD2, 0x11, 0xAA, 0x0D, 0x00, 0xE0, 0x98, 0x03, 0x2B, 0x8C,
            ])
    }
}
