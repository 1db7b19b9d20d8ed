/// The LZ4 block format (not the frame format) in pure Swift.
public enum LZ4 {
    /// Decompresses one LZ4 block whose decompressed size is known (Lance stores it in front).
    public static func decompressBlock(_ input: UnsafeRawBufferPointer, decompressedSize: Int) throws(CodecError) -> [UInt8] {
        throw CodecError(.unsupported, "lz4 decoder not implemented yet")
    }

    /// Compresses `input` into one LZ4 block.
    public static func compressBlock(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        fatalError("lz4 encoder not implemented yet")
    }
}
