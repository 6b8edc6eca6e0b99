import Assembly
import ConfigfsTSM
import Foundation
import ProviderKit
import TDXProvider
import TSMConfig
import TestDirectories
import Testing

/// What a configuration assembles into, in-process: the provider each choice names, its guest
/// surface, and reproducibility from a seed.
@Suite struct ProviderAssemblyTests {
    static func assembly(_ choice: ProviderChoice, config: String = "", seed: [UInt8]? = [UInt8](repeating: 0x5E, count: 32))
        throws -> ProviderAssembly
    {
        ProviderAssembly(
            configFile: try ConfigFile(parsing: config, name: "test.toml"), provider: choice,
            stateDirectory: makeTemporaryDirectory("tsmfs-assembly"), owner: .root, seed: seed)
    }

    @Test(arguments: [
        (ProviderChoice.tdx, "tdx_guest"), (.sev, "sev_guest"), (.cca, "arm_cca_guest"), (.echo, "tsmfs_echo"),
    ])
    func eachChoiceAssemblesItsProvider(_ choice: ProviderChoice, _ name: String) throws {
        let provider = try #require(try Self.assembly(choice).makeProvider())
        #expect(provider.name == name)
        let inblob = [UInt8](repeating: 1, count: 64)
        #expect(try provider.generateReport(for: ReportRequest(inblob: inblob)).outblob.count > 64)
    }

    @Test func noneAssemblesNoProvider() throws {
        #expect(try Self.assembly(.none).makeProvider() == nil)
    }

    @Test func onlyTDXAndSEVHaveGuestSurfaces() throws {
        for choice in [ProviderChoice.tdx, .sev] {
            let assembly = try Self.assembly(choice)
            _ = try assembly.guestSurface(of: try assembly.makeProvider())
        }
        let echo = try Self.assembly(.echo)
        let error = #expect(throws: ProviderAssembly.AssemblyError.self) { try echo.guestSurface(of: try echo.makeProvider()) }
        #expect(error?.description.contains("--devices needs --provider tdx or --provider sev") == true)
    }

    @Test func aSeedMakesTheSameEvidenceInAnyStateDirectory() throws {
        let request = ReportRequest(inblob: [UInt8](repeating: 7, count: 64))
        let first = try #require(try Self.assembly(.tdx).makeProvider()).generateReport(for: request).outblob
        let second = try #require(try Self.assembly(.tdx).makeProvider()).generateReport(for: request).outblob
        #expect(first == second)
    }

    @Test func theConfigurationSectionShapesTheProvider() throws {
        let provider = try #require(try Self.assembly(.tdx, config: "[tdx]\nquoting = \"dice\"\n").makeProvider() as? TDXProvider)
        #expect(provider.dice != nil && provider.configuration.quoting == .dice)
        #expect(throws: ConfigError.self) { try Self.assembly(.tdx, config: "[tdx]\nquoting = \"nope\"\n").makeProvider() }
    }
}
