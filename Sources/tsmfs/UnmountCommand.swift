import ArgumentParser
import Glibc

struct UnmountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmount",
        abstract: "Unmount a tsmfs mount; its daemon then exits.",
        discussion: """
            Refuses paths that are not tsmfs mounts. A mount whose files are still open is \
            busy; --lazy detaches it now and lets open files finish.

            Example:
              tsmfs unmount /run/tsmfs
            """
    )

    @Flag(help: "Detach even if files are open (umount -l).")
    var lazy = false

    @Argument(help: "Where tsmfs is mounted.")
    var mountpoint: String

    func run() throws {
        let path = absolutePath(mountpoint)
        guard let mount = MountTable.current().mount(at: path) else {
            throw exitWithMessage("\(path) is not a mount point")
        }
        guard mount.type == "fuse.tsmfs" else {
            throw exitWithMessage("\(path) is a \(mount.type) mount, not tsmfs; refusing to unmount it")
        }
        do {
            try detachMount(path, lazy: lazy)
        } catch let error as CLIError {
            throw exitWithMessage(error.message)
        }
    }
}
