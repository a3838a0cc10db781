/// Compares the result hashes of a run and its rerun.
public enum Reproduction {
    public static func compare(original: [CapturedFile], rerun: [CapturedFile]) -> ReproductionCheck {
        var a: [String: CapturedFile] = [:]
        for f in original { a[f.path] = f }
        var b: [String: CapturedFile] = [:]
        for f in rerun { b[f.path] = f }
        let byPath: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let differing = a.keys.filter { key in b[key].map { $0.sha256 != a[key]!.sha256 || $0.size != a[key]!.size } ?? false }
        let onlyA = a.keys.filter { b[$0] == nil }
        let onlyB = b.keys.filter { a[$0] == nil }
        return ReproductionCheck(identical: differing.isEmpty && onlyA.isEmpty && onlyB.isEmpty,
                                 differing: differing.sorted(by: byPath), onlyInOriginal: onlyA.sorted(by: byPath),
                                 onlyInRerun: onlyB.sorted(by: byPath))
    }
}
