import Foundation
import Testing

/// The kernel documentation's flow with the real tools (`mkdir`, `dd`, `hexdump`, `cat`,
/// `rmdir`), as a user types it.
@Suite struct ShellToolTests {
    @Test func kernelDocumentationFlow() throws {
        try withMount { fs in
            let result = try shell(
                """
                report=\(fs.report)/report0
                mkdir $report
                head -c 64 /dev/zero | tr '\\000' 'N' > /tmp/tsmfs-nonce.$$
                dd if=/tmp/tsmfs-nonce.$$ of=$report/inblob bs=64 count=1 2>/dev/null
                rm /tmp/tsmfs-nonce.$$
                echo "generation $(cat $report/generation)"
                echo "provider $(cat $report/provider)"
                hexdump -C $report/outblob > /tmp/tsmfs-dump.$$
                echo "generation $(cat $report/generation)"
                rmdir $report
                echo "entries $(ls $(dirname $report) | wc -l)"
                cat /tmp/tsmfs-dump.$$; rm /tmp/tsmfs-dump.$$
                """)
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(Array(lines.prefix(4)) == ["generation 1", "provider tsmfs_echo", "generation 1", "entries 0"])
            #expect(lines[4].hasPrefix("00000000  54 53 4d 45 43 48 4f 31  01 00 00 00 00 00 00 00  |TSMECHO1"))
            // The 64-byte nonce at 0x40, folded by hexdump into one line and a '*'.
            #expect(lines.contains("00000040  4e 4e 4e 4e 4e 4e 4e 4e  4e 4e 4e 4e 4e 4e 4e 4e  |NNNNNNNNNNNNNNNN|"))
            #expect(lines.last == "00000080")
        }
    }

    @Test func toolErrorsReadLikeTheKernels() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            let result = try shell(
                """
                cd \(entry)
                { cat outblob; } 2>&1 || true
                { echo 0011223344556677889900112233445566778899001122334455667788990011 > inblob; } 2>&1 || true
                { rm outblob; } 2>&1 || true
                { rm -rf \(entry); } 2>&1 | head -1 || true
                { echo 1 > privlevel_floor; } 2>&1 || true
                { echo x > newfile; } 2>&1 || true
                { mv inblob moved; } 2>&1 || true
                { cat privlevel; } 2>&1 || true
                """)
            let text = result.stdout
            #expect(text.contains("cat: outblob: Invalid argument"))
            #expect(text.contains("write error: File too large"))
            #expect(text.contains("rm: cannot remove 'outblob': Operation not permitted"))
            #expect(text.contains("Operation not permitted"))
            #expect(text.contains("privlevel_floor: Permission denied"))
            #expect(text.contains("newfile: Permission denied"))
            #expect(text.contains("mv: cannot move 'inblob' to 'moved': Operation not permitted"))
            #expect(text.contains("cat: privlevel: Permission denied"))
        }
    }

    @Test func byteByByteDDAndCachedRereads() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            let result = try shell(
                """
                cd \(entry)
                head -c 64 /dev/urandom > /tmp/tsmfs-n.$$
                dd if=/tmp/tsmfs-n.$$ of=inblob bs=1 count=64 2>/dev/null
                cat generation
                cat outblob > /tmp/tsmfs-q1.$$
                dd if=outblob of=/tmp/tsmfs-q2.$$ bs=1 2>/dev/null
                cmp /tmp/tsmfs-q1.$$ /tmp/tsmfs-q2.$$ && echo same
                dd if=outblob bs=1 skip=64 count=64 2>/dev/null | cmp - /tmp/tsmfs-n.$$ && echo nonce
                rm -f /tmp/tsmfs-n.$$ /tmp/tsmfs-q1.$$ /tmp/tsmfs-q2.$$
                cat generation
                """)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "1\nsame\nnonce\n1\n")
        }
    }

    @Test func longListingMatchesTheKernelTranscript() throws {
        try withMount(config: "[echo]\nattributes = \"tdx\"\n") { fs in
            _ = try fs.makeEntry()
            let result = try shell("cd \(fs.report)/r && ls -l | awk 'NR > 1 {print $1, $2, $3, $4, $5, $NF}'; ls -f")
            #expect(
                result.stdout == """
                    -r--r--r-- 1 root root 4096 generation
                    --w------- 1 root root 0 inblob
                    -r--r--r-- 1 root root 0 outblob
                    -r--r--r-- 1 root root 4096 provider
                    .
                    ..
                    outblob
                    inblob
                    provider
                    generation

                    """)
            #expect(try shell("ls -l \(fs.report)/r | head -1").stdout == "total 0\n")
        }
    }
}
