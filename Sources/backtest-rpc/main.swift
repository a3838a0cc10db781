import BacktestCore
import BacktestServer
import Glibc

// One binary, two modes. `supervise` is started detached by the core to own one run; anything else is the
// JSON-RPC server talking to one client on stdin/stdout.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "supervise" {
    exit(SupervisorCommand.main(arguments: Array(arguments.dropFirst()), makeHooks: { StandardHooks.make(layout: $0) }))
}
exit(ServerCommand.main(arguments: arguments))
