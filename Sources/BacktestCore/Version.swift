/// The version of backtest-rpc, as servers report it and metadata records it.
public enum BacktestVersion {
    public static let current = "0.1.0"
}
