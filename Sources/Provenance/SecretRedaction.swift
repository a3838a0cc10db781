/// Hides the values of environment variables whose names look secret before they are written anywhere.
public enum SecretRedaction {
    /// Name fragments (matched case-insensitively, anywhere in the name) that mark a secret. Broad on purpose:
    /// `MONKEY_MODE` being hidden costs nothing, `API_KEY` being written to disk could cost a lot.
    public static let markers = ["KEY", "TOKEN", "SECRET", "PASSWORD"]

    /// What replaces a secret value.
    public static let mask = "***"

    /// True when `name` looks like it holds a secret.
    public static func isSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return markers.contains { upper.contains($0) }
    }

    /// The same variables with secret values replaced by `***`.
    public static func redact(_ env: [String: String]) -> [String: String] {
        var out = env
        for name in env.keys where isSecret(name) { out[name] = mask }
        return out
    }
}
