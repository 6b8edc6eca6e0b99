import Foundation
import Glibc
import TestDirectories
import Testing

/// A daemon unmounts only its own mount: when its mount was detached and another tsmfs mounted at
/// the same path meanwhile, the old daemon's exit leaves the newcomer alone.
@Suite struct RemountTests {
    @Test func anExitingDaemonLeavesTheNextMountAtItsPathAlone() throws {
        let mountpoint = makeTemporaryDirectory("tsmfs-mount")
        defer { _ = try? tsmfs("unmount", "--lazy", mountpoint) }
        let old = try startForegroundDaemon(at: mountpoint, config: try slowEchoConfig(milliseconds: 3000))
        let entry = mountpoint + "/tsm/report/slow"
        try Sys.mkdir(entry)
        try Sys.writeFile(entry + "/inblob", nonce)
        // A client holds a slow outblob: the old daemon finishes it before it exits.
        let reader = try startReader(entry + "/outblob")
        try waitUntil { isBlockedInRead(reader.processIdentifier) }
        kill(old.processIdentifier, SIGTERM)
        let detached = try tsmfs("unmount", "--lazy", mountpoint)
        #expect(detached.status == 0, "\(detached.stderr)")
        let newer = try tsmfs("mount", mountpoint)
        #expect(newer.status == 0, "\(newer.stderr)")
        reader.waitUntilExit()
        old.waitUntilExit()
        #expect(try Sys.listDirectory(mountpoint + "/tsm") == [".", "..", "report"], "the new mount survives the old daemon")
        #expect(MountTableSnapshot.tsmfsMounts().contains(mountpoint))
    }
}
