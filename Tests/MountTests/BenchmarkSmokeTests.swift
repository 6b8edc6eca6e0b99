import Foundation
import TestDirectories
import Testing

/// The benchmark is a program, not a timed test; this only checks that it still runs end to end
/// and reports every section (no assertion about speed).
@Suite struct BenchmarkSmokeTests {
    @Test func benchmarkRunsAndReportsEverySection() throws {
        let bench = URL(fileURLWithPath: TSMFSBinary.path).deletingLastPathComponent().appendingPathComponent("tsmfs-bench").path
        let json = makeTemporaryDirectory("tsmfs-bench-json") + "/bench.json"
        let result = try run(
            bench,
            [
                "--seconds", "0.2", "--threads", "1,2", "--providers", "echo,tdx,cca", "--entries", "50",
                "--rounds", "2", "--round-seconds", "0.1", "--json", json,
            ])
        // A trap shows as status 4 (SIGILL); stdout is a pipe, so a crash loses what was buffered.
        #expect(result.status == 0, "status \(result.status)\nstderr: \(result.stderr)\nstdout: \(result.stdout.suffix(2000))")
        for section in [
            "tmpfs (kernel floor)", "fuse-floor (minimal libfuse filesystem", "echo full cycle", "tdx full cycle",
            "cached outblob reads", "RSS", "mount ready in", "targets, from this run", "cca full cycle",
            "tdx_guest GET_REPORT0", "cached outblob reads ≥ 0.8 × fuse-floor's", "alternating rounds",
            "daemon CPU per tdx cycle ≤ echo's + 1.5 × one P-256 signature",
            // Two rounds are too few to bracket a median; the verdict lines say so.
            "too few rounds for an interval",
            "vendor services (tsmfs serve", "collateral requests/s on loopback with keep-alive",
        ] {
            #expect(result.stdout.contains(section), "missing: \(section)")
        }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        #expect(report?["ratio_echo_fuse_floor"] != nil && report?["ratio_tdx_echo"] != nil)
        #expect(report?["device_tdx"] != nil && report?["ratio_cca_echo_plus_signatures"] != nil)
        #expect(report?["alternating_rounds_turns"] as? Int == 4)
        #expect((report?["service_requests_per_s"] as? [String: Double])?["8"] != nil)
        let rounds = report?["alternating_rounds"] as? [String: [String: Any]]
        #expect(rounds?["1"]?["ratio_tdx_echo_median"] != nil && rounds?["8"]?["echo"] != nil, "\(String(describing: rounds))")
        // Every request wakes a worker: a round without context switches counted nothing.
        let echoRow = rounds?["1"]?["echo"] as? [String: Double]
        #expect((echoRow?["context_switches_per_cycle_median"] ?? 0) > 1, "\(String(describing: echoRow))")
        #expect(!MountTableSnapshot.tsmfsMounts().contains { $0.contains("tsmfs-bench") })
    }
}
