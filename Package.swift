// swift-tools-version:6.0
import PackageDescription

// One module per layer, so each can be built and tested without the others; docs/architecture.md
// maps them. Evidence layouts know nothing of keys, PKI knows nothing of evidence; Signing joins the
// two; Verify reads the layouts and never the code that signs.
let package = Package(
    name: "tsmfs",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tsmfs", targets: ["tsmfs"]),
        .executable(name: "tsmfs-bench", targets: ["tsmfs-bench"]),
        .executable(name: "fuse-floor", targets: ["fuse-floor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .target(name: "ByteLayout"),
        .systemLibrary(
            name: "CFuse3",
            pkgConfig: "fuse3",
            providers: [.apt(["libfuse3-dev"])]
        ),
        .target(
            name: "ProviderKit",
            dependencies: ["ByteLayout", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(name: "FileTree", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
        .target(
            name: "ConfigfsTSM",
            dependencies: ["ByteLayout", "FileTree", "ProviderKit", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(
            name: "FUSEAdapter",
            dependencies: [
                "ByteLayout", "CFuse3", "FileTree",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(name: "TDXQuote", dependencies: ["ByteLayout"], path: "Sources/Evidence/TDXQuote"),
        .target(name: "VendorServices", dependencies: ["ByteLayout"], path: "Sources/Services/VendorServices"),
        .target(
            name: "ServiceHTTP",
            dependencies: [
                "VendorServices", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Services/ServiceHTTP"
        ),
        .target(
            name: "ServicePKI",
            dependencies: [
                "SigningKeys", "SimulatedPKI", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Sources/PKI/ServicePKI"
        ),
        .target(name: "AMDValues", path: "Sources/Vendors/AMD"),
        .target(name: "SNPReport", dependencies: ["AMDValues", "ByteLayout"], path: "Sources/Evidence/SNPReport"),
        .target(name: "TDXDICEQuote", dependencies: ["CBOR", "TDXQuote"], path: "Sources/Evidence/TDXDICEQuote"),
        .target(name: "CBOR", path: "Sources/Evidence/CBOR"),
        .target(
            name: "EventLog", dependencies: ["ByteLayout", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Evidence/EventLog"),
        .target(name: "CCAToken", dependencies: ["CBOR"], path: "Sources/Evidence/CCAToken"),
        .target(
            name: "SigningKeys",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "BigInt", package: "BigInt"),
            ],
            path: "Sources/PKI/SigningKeys"
        ),
        .target(
            name: "SimulatedPKI",
            dependencies: [
                "ByteLayout", "SigningKeys",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/PKI/SimulatedPKI"
        ),
        .target(
            name: "IntelPKI",
            dependencies: [
                "ByteLayout", "SigningKeys", "SimulatedPKI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Sources/PKI/IntelPKI"
        ),
        .target(
            name: "DICEPKI",
            dependencies: [
                "SigningKeys", "SimulatedPKI", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Sources/PKI/DICEPKI"
        ),
        .target(
            name: "AMDPKI",
            dependencies: [
                "AMDValues", "ByteLayout", "SimulatedPKI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Sources/PKI/AMDPKI"
        ),
        .target(
            name: "TDXSigning",
            dependencies: [
                "ByteLayout", "CBOR", "TDXQuote", "TDXDICEQuote", "DICEPKI", "SigningKeys", "SimulatedPKI",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "X509", package: "swift-certificates"),
            ],
            path: "Sources/Signing/TDX"
        ),
        .target(
            name: "SNPSigning",
            dependencies: [
                "AMDValues",
                "ByteLayout", "SNPReport", "AMDPKI", "SigningKeys", .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Signing/SNP"
        ),
        .target(
            name: "CCASigning",
            dependencies: ["CBOR", "CCAToken", "SigningKeys", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Signing/CCA"
        ),
        .target(
            name: "EchoProvider",
            dependencies: ["ByteLayout", "ProviderKit", .product(name: "SystemPackage", package: "swift-system")],
            path: "Sources/Providers/Echo"
        ),
        .target(
            name: "CCAProvider",
            dependencies: [
                "CBOR", "CCASigning", "CCAToken", "ProviderKit", .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Providers/CCA"
        ),
        .target(
            name: "TDXProvider",
            dependencies: [
                "ByteLayout", "ProviderKit", "TDXQuote", "TDXDICEQuote", "TDXSigning", "IntelPKI", "DICEPKI", "SigningKeys",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/Providers/TDX"
        ),
        .target(
            name: "SEVProvider",
            dependencies: [
                "AMDValues",
                "ByteLayout", "ProviderKit", "SNPReport", "SNPSigning", "AMDPKI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/Providers/SEV"
        ),
        .target(name: "GuestDeviceABI", dependencies: ["ByteLayout"], path: "Sources/GuestDevices/ABI"),
        .target(name: "CProcessMemory", path: "Sources/GuestDevices/CProcessMemory"),
        .target(
            name: "GuestSurface",
            dependencies: ["CProcessMemory", "FileTree", .product(name: "SystemPackage", package: "swift-system")],
            path: "Sources/GuestDevices/Surface"
        ),
        .target(
            name: "TDXGuest",
            dependencies: [
                "ByteLayout", "GuestDeviceABI", "GuestSurface", "TDXProvider", "TDXQuote", "TDXSigning",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/GuestDevices/TDX"
        ),
        .target(
            name: "SEVGuest",
            dependencies: [
                "AMDValues",
                "ByteLayout", "GuestDeviceABI", "GuestSurface", "ProviderKit", "SEVProvider", "SNPReport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/GuestDevices/SEV"
        ),
        .target(
            name: "Verify",
            dependencies: [
                "ByteLayout", "CBOR", "CCAToken", "SNPReport", "TDXDICEQuote", "TDXQuote",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .target(name: "TSMConfig", dependencies: ["ByteLayout"]),
        // The configuration's meaning: the [tdx], [sev], [cca], [echo] readers and the factory that
        // builds providers, their PKI and guest surfaces from a configuration.
        .target(
            name: "Assembly",
            dependencies: [
                "AMDPKI", "AMDValues", "ByteLayout", "CCAProvider", "CCASigning", "CCAToken", "ConfigfsTSM", "DICEPKI",
                "EchoProvider", "EventLog", "GuestSurface", "ServicePKI", "VendorServices", "IntelPKI", "ProviderKit", "SEVGuest",
                "SEVProvider", "SigningKeys",
                "SimulatedPKI", "SNPReport", "TDXGuest", "TDXProvider", "TDXQuote", "TSMConfig",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "tsmfs",
            dependencies: [
                "AMDPKI", "Assembly", "ByteLayout", "CCAProvider", "CCASigning", "CCAToken", "CFuse3", "ConfigfsTSM",
                "FUSEAdapter", "GuestSurface", "IntelPKI", "ProviderKit", "ServiceHTTP", "ServicePKI", "SimulatedPKI",
                "TDXProvider",
                "TSMConfig", "VendorServices", "Verify", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .executableTarget(
            name: "tsmfs-bench",
            dependencies: [
                "AMDPKI", "Assembly", "CCAProvider", "EchoProvider", "IntelPKI", "ProviderKit", "SEVProvider", "SNPReport",
                "SNPSigning", "SigningKeys", "SimulatedPKI", "TDXProvider", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The minimal libfuse filesystem tsmfs-bench measures as the FUSE floor (C, no semantics).
        .executableTarget(
            name: "fuse-floor",
            dependencies: ["CFuse3"],
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // Unit tests: in-process, no root and no /dev/fuse (swift test --filter 'Tests\.(?!Mount)').
        .testTarget(name: "ByteLayoutTests", dependencies: ["ByteLayout"]),
        .testTarget(
            name: "ProviderKitTests",
            dependencies: ["ByteLayout", "ProviderKit", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .testTarget(
            name: "ConfigfsTSMTests",
            dependencies: [
                "ByteLayout", "ConfigfsTSM", "FileTree", "ProviderKit", "EchoProvider",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "FUSEAdapterTests",
            dependencies: [
                "CFuse3", "ConfigfsTSM", "EchoProvider", "FUSEAdapter", "FileTree", "GuestSurface", "ProviderKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "EventLogTests", dependencies: ["EventLog", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "EchoProviderTests", dependencies: ["ByteLayout", "EchoProvider", "ProviderKit"]),
        .testTarget(
            name: "TDXQuoteTests",
            dependencies: [
                "ByteLayout", "TDXQuote", "TDXSigning", "SigningKeys", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "IntelPKITests",
            dependencies: [
                "IntelPKI", "SimulatedPKI", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .testTarget(name: "SNPReportTests", dependencies: ["AMDValues", "ByteLayout", "SNPReport"]),
        .testTarget(
            name: "ProviderFaultTests",
            dependencies: [
                "AMDValues",
                "TestDirectories",
                "AMDPKI", "ByteLayout", "IntelPKI", "ProviderKit", "SEVProvider", "SNPSigning", "SimulatedPKI",
                "TDXProvider", .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "SigningKeysTests",
            dependencies: [
                "SigningKeys", .product(name: "BigInt", package: "BigInt"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "TSMConfigTests", dependencies: ["CBORFuzz", "TSMConfig"]),
        .testTarget(name: "BenchTests", dependencies: ["tsmfs-bench"]),
        .testTarget(
            name: "AssemblyTests",
            dependencies: ["Assembly", "ConfigfsTSM", "ProviderKit", "TDXProvider", "TSMConfig", "TestDirectories"]
        ),
        .testTarget(
            name: "VerifyTests",
            dependencies: [
                "AMDValues",
                "TestDirectories",
                "AMDPKI", "ByteLayout", "CBOR", "CCAProvider", "CCASigning", "DICEPKI", "EchoProvider", "IntelPKI",
                "ProviderKit", "SEVProvider", "SNPReport", "SimulatedPKI", "TDXDICEQuote", "TDXProvider", "TDXQuote", "Verify",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // One temporary directory per test run, removed when the run ends.
        .target(name: "TestDirectories", path: "Tests/Support/TestDirectories"),
        // Random CBOR values for the encoder's tests, in-process and against cbor2.
        .target(name: "CBORFuzz", dependencies: ["CBOR"], path: "Tests/Support/CBORFuzz"),
        .testTarget(
            name: "CCATokenTests",
            dependencies: [
                "CBOR", "CBORFuzz", "CCAProvider", "CCASigning", "CCAToken", "ProviderKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "GuestDeviceTests",
            dependencies: [
                "AMDValues",
                "TestDirectories",
                "AMDPKI", "ByteLayout", "GuestDeviceABI", "GuestSurface", "IntelPKI", "ProviderKit", "SEVGuest",
                "SEVProvider", "SNPReport", "SimulatedPKI", "TDXGuest", "TDXProvider", "TDXQuote", "TDXSigning",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Mount tests: real mounts driven by syscalls and shell tools; need root and /dev/fuse.
        .testTarget(
            name: "MountTests",
            dependencies: [
                "TestDirectories",
                "ByteLayout", "CBOR", "CBORFuzz", "ConfigfsTSM", "EchoProvider", "ProviderKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
    ]
)
