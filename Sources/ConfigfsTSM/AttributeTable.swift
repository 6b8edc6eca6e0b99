import ProviderKit
import SystemPackage

/// Every attribute of a report entry, declared once with its method, as report.c declares each
/// with `CONFIGFS_ATTR_RO`/`_WO` or `CONFIGFS_BIN_ATTR_RO`/`_WO`. What a file can do — its mode,
/// which opens configfs grants, what a read or write runs — follows from this table alone.
enum AttributeMethod: Sendable {
    /// `show()`: the text a read returns, computed under the entry lock.
    case show(@Sendable (_ state: borrowing ReportEntry.State, _ provider: (any ReportProvider)?) throws(Errno) -> String)
    /// `store()`: applies one write(2) of up to a page, under the entry lock, with the kernel's
    /// checks in the kernel's order.
    case store(
        @Sendable (
            _ state: inout ReportEntry.State, _ bytes: [UInt8],
            _ provider: (any ReportProvider)?
        ) throws(Errno) -> Void)
    /// A binary attribute's `read()`: a blob of the entry's report (`tsm_report_read()`).
    case readBlob
    /// A binary attribute's `write()`: buffered per open file, committed at the last close.
    case writeInblob

    /// The declarations, in `enum tsm_attr_index` then `enum tsm_bin_attr_index` order.
    static let table: [ReportAttribute: AttributeMethod] = [
        .generation: .show { state, _ in "\(state.writeGeneration)\n" },
        .provider: .show { _, provider throws(Errno) in
            guard let provider else { throw .noSuchAddressOrDevice }
            return "\(provider.name)\n"
        },
        .privlevel: .store { state, bytes, provider throws(Errno) in
            let level = try KernelParsing.kstrtouint(bytes)
            guard let provider else { throw .noSuchAddressOrDevice }
            guard provider.privlevelFloor <= level, level <= ReportEntry.privlevelMax else { throw .invalidArgument }
            try state.advanceWriteGeneration()
            state.request.privlevel = level
        },
        .privlevelFloor: .show { _, provider throws(Errno) in
            guard let provider else { throw .noSuchAddressOrDevice }
            return "\(provider.privlevelFloor)\n"
        },
        .serviceProvider: .store { state, bytes, _ throws(Errno) in
            try state.advanceWriteGeneration()
            let withoutNewline = bytes.last == UInt8(ascii: "\n") ? bytes.dropLast() : bytes[...]
            state.request.serviceProvider = Array(withoutNewline.prefix { $0 != 0 })
        },
        .serviceGUID: .store { state, bytes, _ throws(Errno) in
            // The kernel advances the generation and clears the GUID before parsing.
            try state.advanceWriteGeneration()
            state.request.serviceGUID = ReportRequest.zeroGUID
            state.request.serviceGUID = try KernelParsing.guidParse(bytes)
        },
        .serviceManifestVersion: .store { state, bytes, _ throws(Errno) in
            let version = try KernelParsing.kstrtouint(bytes)
            try state.advanceWriteGeneration()
            state.request.serviceManifestVersion = version
        },
        .inblob: .writeInblob,
        .outblob: .readBlob,
        .auxblob: .readBlob,
        .manifestblob: .readBlob,
    ]

    /// configfs grants a read-open only to an attribute with `show`/`read`.
    var isReadable: Bool {
        switch self {
        case .show, .readBlob: true
        case .store, .writeInblob: false
        }
    }

    /// configfs grants a write-open only to an attribute with `store`/`write`.
    var isWritable: Bool { !isReadable }

    /// The configfs macros' modes: `_RO` is 0444, `_WO` is 0200.
    var permissions: UInt32 { isReadable ? 0o444 : 0o200 }
}

extension ReportAttribute {
    /// Its declaration in ``AttributeMethod/table``.
    var method: AttributeMethod { AttributeMethod.byRawValue[rawValue] }
}

extension AttributeMethod {
    /// ``table`` indexed by raw value: most requests ask an attribute for its method, and an
    /// array index costs nothing where a dictionary hashes.
    static let byRawValue: [AttributeMethod] = ReportAttribute.allCases.map { table[$0]! }
}
