import Foundation
import TestDirectories
import Testing

/// Real container engines: podman containers against host tsmfs mounts, and the Kubernetes recipe
/// validated offline against the Kubernetes schemas.
@Suite(.serialized) struct ContainerEngineTests {
    static let root = TDXEvidenceTests.packageRoot

    /// examples/container-podman.sh exits 77 with one line of reason where podman cannot start.
    @Test func podmanContainersAttestThroughTsmfs() throws {
        let result = try run(
            "/bin/bash", [Self.root + "/examples/container-podman.sh"], environment: DeploymentTests.exampleEnvironment)
        if result.status == 77 { try Test.cancel(Comment(rawValue: result.stdout.trimmingCharacters(in: .newlines))) }
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        for line in [
            "provider tdx_guest generation 0\ngeneration after inblob 1\n",
            "kernel flow: REPORTDATA is the container's nonce",
            "container c1: 5 quotes, each with its own nonce", "container c2: 5 quotes, each with its own nonce",
            "quote a with roots a: True, with roots b: False", "quote b with roots b: True, with roots a: False",
            "devices: libtdx_attest in a container: get_report, extend, get_quote succeeded",
            "devices: the container's quote verifies with dcap-qvl",
        ] {
            #expect(result.stdout.contains(line), "missing: \(line)\n\(result.stdout)")
        }
    }

    static let manifests = ["tsmfs-daemonset.yaml", "workload-pod.yaml"].map { root + "/examples/kubernetes/" + $0 }

    @Test func kubernetesManifestsValidateAgainstTheSchemas() throws {
        let validator = URL(fileURLWithPath: TDXEvidenceTests.python).deletingLastPathComponent().appendingPathComponent(
            "kubernetes-validate"
        ).path
        let result = try run(validator, ["--strict", "--quiet"] + Self.manifests)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // The validator must be able to fail: an unknown field under --strict.
        let broken = makeTemporaryDirectory("tsmfs-k8s") + "/pod.yaml"
        try String(contentsOfFile: Self.manifests[1], encoding: .utf8)
            .replacingOccurrences(
                of: "mountPropagation: HostToContainer", with: "mountPropagation: HostToContainer\n          mountPropagatoin: x"
            )
            .write(toFile: broken, atomically: false, encoding: .utf8)
        #expect(try run(validator, ["--strict", "--quiet", broken]).status != 0)
    }

    func recipeCheck(_ daemonset: String, _ workload: String) throws -> CommandResult {
        try run(TDXEvidenceTests.python, [Self.root + "/Tests/Verifiers/kubernetes_recipe_check.py", daemonset, workload])
    }

    @Test func kubernetesRecipeHasTheFieldsItDependsOn() throws {
        let result = try recipeCheck(Self.manifests[0], Self.manifests[1])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // Each dependency, removed, is caught.
        let daemonset = try String(contentsOfFile: Self.manifests[0], encoding: .utf8)
        let workload = try String(contentsOfFile: Self.manifests[1], encoding: .utf8)
        let work = makeTemporaryDirectory("tsmfs-k8s")
        for (file, from, to) in [
            (0, "mountPropagation: Bidirectional", "mountPropagation: HostToContainer"),
            (0, "privileged: true", "privileged: false"),
            (0, "type: CharDevice", "type: File"),
            (0, "-o allow_other ", ""),
            (1, "mountPropagation: HostToContainer", "mountPropagation: None"),
            (1, "path: /run/tsmfs/config", "path: /run/tsmfs"),
            (1, "path: /run/tsmfs/devices/dev/tdx_guest", "path: /dev/tdx_guest"),
        ] {
            let texts = [daemonset, workload].enumerated().map {
                $0.offset == file ? $0.element.replacingOccurrences(of: from, with: to) : $0.element
            }
            #expect(texts[file] != [daemonset, workload][file], "\(from) is not in the recipe")
            try texts[0].write(toFile: work + "/d.yaml", atomically: false, encoding: .utf8)
            try texts[1].write(toFile: work + "/w.yaml", atomically: false, encoding: .utf8)
            #expect(try recipeCheck(work + "/d.yaml", work + "/w.yaml").status == 1, "not caught: \(from) → \(to)")
        }
    }
}
