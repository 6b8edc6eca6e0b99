// swift-tools-version:6.0
import PackageDescription

// One module per layer, so each can be built and tested without the others:
//   CFuse3        libfuse3 system library (pkg-config fuse3) and its shim header
//   FUSEAdapter   libfuse low-level callbacks -> ConfigfsTSM calls, session lifecycle
//   ConfigfsTSM   the configfs-tsm state machine: tree, entries, attributes, per-open handles
//   ProviderKit   the provider protocol every TEE backend implements
//   EchoProvider  the diagnostic provider (Sources/Providers/Echo)
//   TDXQuote      the Intel DCAP TD quote v4/v5 binary format (Sources/Evidence/TDXQuote)
//   SNPReport     the SEV-SNP attestation report and certificate table (Sources/Evidence/SNPReport)
//   SigningKeys   P-256 signing, random or RFC 6979 deterministic (Sources/PKI)
//   SimulatedPKI  key storage, CRLs and certificate helpers shared by the simulated roots (Sources/PKI)
//   IntelPKI      the simulated Intel SGX root, PCK chain and signed TDX collateral
//   AMDPKI        the simulated AMD ARK/ASK (RSA-PSS) and VCEK per product line
//   TDXProvider   the tdx provider (Sources/Providers/TDX)
//   SEVProvider   the sev provider (Sources/Providers/SEV)
//   TSMConfig     the configuration file format
//   tsmfs         the command-line tool
//   tsmfs-bench   the benchmark (a program, not a test: it prints ratios against floors of the same run)
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
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CFuse3",
            pkgConfig: "fuse3",
            providers: [.apt(["libfuse3-dev"])]
        ),
        .target(
            name: "ProviderKit",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(
            name: "ConfigfsTSM",
            dependencies: [
                "ProviderKit",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "EchoProvider",
            dependencies: ["ProviderKit"],
            path: "Sources/Providers/Echo"
        ),
        .target(
            name: "TDXQuote",
            dependencies: ["ProviderKit", "SigningKeys", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Evidence/TDXQuote"
        ),
        .target(
            name: "SNPReport",
            dependencies: ["ProviderKit"],
            path: "Sources/Evidence/SNPReport"
        ),
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
                "SigningKeys",
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
                "SigningKeys",
                "SimulatedPKI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Sources/PKI/IntelPKI"
        ),
        .target(
            name: "AMDPKI",
            dependencies: [
                "SimulatedPKI", "SNPReport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Sources/PKI/AMDPKI"
        ),
        .target(
            name: "TDXProvider",
            dependencies: ["ProviderKit", "TDXQuote", "IntelPKI", "SigningKeys", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "SystemPackage", package: "swift-system")],
            path: "Sources/Providers/TDX"
        ),
        .target(
            name: "SEVProvider",
            dependencies: ["ProviderKit", "SNPReport", "AMDPKI", "SigningKeys", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "SystemPackage", package: "swift-system")],
            path: "Sources/Providers/SEV"
        ),
        .target(
            name: "TSMConfig",
            dependencies: []
        ),
        .target(
            name: "FUSEAdapter",
            dependencies: [
                "CFuse3",
                "ConfigfsTSM",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "tsmfs",
            dependencies: [
                "CFuse3",
                "FUSEAdapter",
                "ConfigfsTSM",
                "ProviderKit",
                "EchoProvider",
                "TDXProvider",
                "SEVProvider",
                "AMDPKI",
                "SNPReport",
                "IntelPKI",
                "SimulatedPKI",
                "SigningKeys",
                "TDXQuote",
                "TSMConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "tsmfs-bench",
            dependencies: ["EchoProvider", "TDXProvider", "SEVProvider", "IntelPKI", "AMDPKI", "SimulatedPKI", "ProviderKit", "SNPReport",
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The minimal libfuse filesystem tsmfs-bench measures as the FUSE floor (C, no semantics).
        .executableTarget(
            name: "fuse-floor",
            dependencies: ["CFuse3"],
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .testTarget(
            name: "ConfigfsTSMTests",
            dependencies: ["ConfigfsTSM", "ProviderKit", "EchoProvider",
                           .product(name: "SystemPackage", package: "swift-system")]
        ),
        .testTarget(
            name: "EchoProviderTests",
            dependencies: ["EchoProvider", "ProviderKit"]
        ),
        .testTarget(
            name: "TDXQuoteTests",
            dependencies: ["TDXQuote", "ProviderKit", "SigningKeys", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "IntelPKITests",
            dependencies: ["IntelPKI", "SimulatedPKI", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1")]
        ),
        .testTarget(
            name: "SNPReportTests",
            dependencies: ["SNPReport", "ProviderKit"]
        ),
        .testTarget(
            name: "SigningKeysTests",
            dependencies: ["SigningKeys", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "TSMConfigTests",
            dependencies: ["TSMConfig"]
        ),
        .testTarget(
            name: "MountTests",
            dependencies: ["EchoProvider", .product(name: "SystemPackage", package: "swift-system")]
        ),
    ]
)
