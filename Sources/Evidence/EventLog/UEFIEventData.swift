import ByteLayout

/// The event data layouts of UEFI's measured boot (TCG PC Client PFP and edk2's
/// `UefiTcgPlatform.h`), byte for byte.
public enum UEFIEventData {
    /// An EFI_GUID as text (`8be4df61-93ca-11d2-aa0d-00e098032b8c`) in memory order: the first
    /// three groups little-endian, the rest as written.
    public static func guid(_ text: String) -> [UInt8] { [UInt8](guid: text)!.guidTOrder }

    public static let globalVariable = guid("8be4df61-93ca-11d2-aa0d-00e098032b8c")
    public static let imageSecurityDatabase = guid("d719b2cb-3d3a-4596-a3bc-dad00e67656f")
    /// gUefiOvmfPkgTokenSpaceGuid, under which TDVF hands the TD HOB over.
    public static let ovmfTokenSpace = guid("93bb96af-b9f2-4eb8-9462-e0ba74564236")

    /// UEFI_VARIABLE_DATA: GUID, name length in UTF-16 units (no NUL), data length, the name in
    /// UTF-16LE, the data.
    public static func variable(_ vendor: [UInt8], name: String, data: [UInt8]) -> [UInt8] {
        let utf16 = Array(name.utf16)
        var out = vendor
        out.appendLittleEndian(UInt64(utf16.count))
        out.appendLittleEndian(UInt64(data.count))
        for unit in utf16 { out.appendLittleEndian(unit) }
        return out + data
    }

    /// The end of a device path (type 0x7F, sub-type 0xFF, length 4).
    public static let endOfDevicePath: [UInt8] = [0x7F, 0xFF, 0x04, 0x00]

    /// A media file-path device path node (type 4, sub-type 4) naming `path`, then the end node.
    public static func filePath(_ path: String) -> [UInt8] {
        var name: [UInt8] = []
        for unit in path.utf16 + [0] { name.appendLittleEndian(unit) }
        var node: [UInt8] = [0x04, 0x04]
        node.appendLittleEndian(UInt16(4 + name.count))
        return node + name + endOfDevicePath
    }

    /// EFI_LOAD_OPTION: attributes (LOAD_OPTION_ACTIVE), the device path's length, the
    /// description in UTF-16LE with its NUL, the device path.
    public static func loadOption(description: String, devicePath: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLittleEndian(UInt32(1))
        out.appendLittleEndian(UInt16(devicePath.count))
        for unit in description.utf16 + [0] { out.appendLittleEndian(unit) }
        return out + devicePath
    }

    /// UEFI_IMAGE_LOAD_EVENT: where the image was loaded, its length, its link address, its device path.
    public static func imageLoad(location: UInt64, length: UInt64, devicePath: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLittleEndian(location)
        out.appendLittleEndian(length)
        out.appendLittleEndian(UInt64(0))
        out.appendLittleEndian(UInt64(devicePath.count))
        return out + devicePath
    }

    /// UEFI_HANDOFF_TABLE_POINTERS2: a described list of configuration tables (TDVF: the TD HOB).
    public static func handoffTables(description: String, tables: [(guid: [UInt8], address: UInt64)]) -> [UInt8] {
        let text = Array(description.utf8) + [0]
        var out = [UInt8(text.count)] + text
        out.appendLittleEndian(UInt64(tables.count))
        for table in tables {
            out += table.guid
            out.appendLittleEndian(table.address)
        }
        return out
    }

    /// UEFI_PLATFORM_FIRMWARE_BLOB2: a described firmware volume and where it lies.
    public static func firmwareBlob(description: String, base: UInt64, length: UInt64) -> [UInt8] {
        let text = Array(description.utf8) + [0]
        var out = [UInt8(text.count)] + text
        out.appendLittleEndian(base)
        out.appendLittleEndian(length)
        return out
    }

    /// TCG_PCClientTaggedEvent: a tag, the data's length, the data.
    public static func taggedEvent(tag: UInt32, data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLittleEndian(tag)
        out.appendLittleEndian(UInt32(data.count))
        return out + data
    }
}
