import ArgumentParser

@main
struct TSMFS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsmfs",
        abstract: "The Linux configfs-tsm attestation ABI in user space, with simulated TEE providers.",
        discussion: """
            tsmfs mounts a filesystem that behaves like the kernel's \
            /sys/kernel/config/tsm/report/ (configfs-tsm): mkdir an entry, write a nonce \
            to inblob, read evidence from outblob. Unmodified tools and attestation \
            clients work against it on any Linux host.

            Example session (as root):

              # mkdir -p /run/tsmfs && tsmfs mount --provider echo /run/tsmfs
              # report=/run/tsmfs/tsm/report/report0
              # mkdir $report
              # head -c 64 /dev/urandom > $report/inblob
              # cat $report/generation
              1
              # hexdump -C $report/outblob | head -3
              # rmdir $report
              # tsmfs unmount /run/tsmfs

            Clients that hard-code /sys/kernel/config need tsmfs mounted there; on hosts \
            without configfs, do that in a private mount namespace: 'tsmfs exec --provider tdx \
            -- CMD' runs CMD with the whole guest surface at the kernel's paths \
            (configfs-tsm, /dev/tdx_guest, the TDX measurement registers; /dev/sev-guest for \
            sev). 'tsmfs roots' exports the simulated roots verifiers must trust, and 'tsmfs \
            verify' checks any evidence against them.
            """,
        version: "0.1.0",
        subcommands: [
            MountCommand.self, UnmountCommand.self, ExecCommand.self, RootsCommand.self, CollateralCommand.self,
            UpdateModuleCommand.self, ServeCommand.self, VerifyCommand.self, InspectCommand.self,
        ]
    )
}
