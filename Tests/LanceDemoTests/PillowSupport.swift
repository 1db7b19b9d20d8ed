// SPDX-License-Identifier: Apache-2.0

import Foundation
import LanceTestSupport

/// Runs the venv Python (Pillow, hashlib) over a set of files and returns what it measured.
enum Pillow {

    struct Decoded {
        var width: Int
        var height: Int
        var mode: String
        var format: String
        /// Mean absolute error against the source RGB bytes, when given.
        var meanAbsoluteError: Double?
        /// The same error for Pillow's own encoder at the same quality with 4:2:0 chroma, when a quality was given.
        var pillowMeanAbsoluteError: Double?
        var md5: String
    }

    private static let script = """
        import hashlib, json, sys
        import numpy as np
        from PIL import Image
        out = []
        for item in json.load(open(sys.argv[1])):
            data = open(item["jpeg"], "rb").read()
            im = Image.open(item["jpeg"])
            fmt = im.format
            im.load()
            r = {"w": im.size[0], "h": im.size[1], "mode": im.mode, "format": fmt,
                 "md5": hashlib.md5(data).hexdigest(), "mae": None, "ref_mae": None}
            if item.get("rgb"):
                src = np.frombuffer(open(item["rgb"], "rb").read(), dtype=np.uint8).astype(np.int32)
                dec = np.asarray(im.convert("RGB"), dtype=np.int32).reshape(-1)
                r["mae"] = float(np.abs(dec - src).mean()) if dec.size == src.size else -1.0
                if item.get("quality"):
                    import io
                    ref = Image.frombytes("RGB", im.size, bytes(src.astype(np.uint8)))
                    buf = io.BytesIO()
                    ref.save(buf, format="JPEG", quality=int(item["quality"]), subsampling=2)
                    back = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), dtype=np.int32).reshape(-1)
                    r["ref_mae"] = float(np.abs(back - src).mean())
            out.append(r)
        print(json.dumps(out))
        """

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Decodes each JPEG with Pillow; `sources[i]` (optional) are the RGB pixels it was encoded from.
    static func decode(_ jpegs: [[UInt8]], sources: [[UInt8]?]? = nil, qualities: [Int]? = nil) throws -> [Decoded] {
        let dir = try TestEnvironment.temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(at: dir) }
        var manifest: [[String: String]] = []
        for (i, jpeg) in jpegs.enumerated() {
            let j = dir.appendingPathComponent("\(i).jpg")
            try Data(jpeg).write(to: j)
            var entry = ["jpeg": j.path]
            if let src = sources?[i] {
                let r = dir.appendingPathComponent("\(i).rgb")
                try Data(src).write(to: r)
                entry["rgb"] = r.path
                if let q = qualities?[i] { entry["quality"] = String(q) }
            }
            manifest.append(entry)
        }
        let manifestURL = dir.appendingPathComponent("manifest.json")
        try JSONSerialization.data(withJSONObject: manifest).write(to: manifestURL)
        let out = try Subprocess.python(["-c", script, manifestURL.path])
        let outData = Data(out.stdout)
        guard let rows = try JSONSerialization.jsonObject(with: outData) as? [[String: Any]] else {
            throw Failure(description: "unexpected python output")
        }
        return rows.map { r in
            Decoded(width: r["w"] as? Int ?? -1, height: r["h"] as? Int ?? -1, mode: r["mode"] as? String ?? "",
                    format: r["format"] as? String ?? "", meanAbsoluteError: r["mae"] as? Double,
                    pillowMeanAbsoluteError: r["ref_mae"] as? Double,
                    md5: r["md5"] as? String ?? "")
        }
    }
}
