/// Zstandard (RFC 8878) in pure Swift.
public enum Zstd {
    /// Decompresses every frame in `input` (skippable frames are skipped) and returns the concatenated
    /// output. Throws if the input is truncated or corrupt, or if the output would exceed `limit` bytes.
    public static func decompress(_ input: UnsafeRawBufferPointer, limit: Int = 1 << 32) throws(CodecError) -> [UInt8] {
        throw CodecError(.unsupported, "zstd decoder not implemented yet")
    }

    /// Convenience over a byte array.
    public static func decompress(_ input: [UInt8], limit: Int = 1 << 32) throws(CodecError) -> [UInt8] {
        var result: Result<[UInt8], CodecError> = .success([])
        input.withUnsafeBytes { raw in
            do throws(CodecError) { result = .success(try decompress(raw, limit: limit)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Compresses `input` into one zstd frame readable by the reference implementation.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int = 3) -> [UInt8] {
        fatalError("zstd encoder not implemented yet")
    }
}
