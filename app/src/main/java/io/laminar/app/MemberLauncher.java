package io.laminar.app;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts {@code laminar node} member processes with this JVM's java binary and engine flags. */
public final class MemberLauncher {
    private final List<String> javaAndClasspath;
    private final Path log;

    /**
     * @param classpathArgs how to find Laminar: {@code -jar laminar.jar}, or {@code -cp PATH io.laminar.app.Main}
     * @param log           file that collects the members' output
     */
    public MemberLauncher(List<String> classpathArgs, Path log) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-modules") || a.startsWith("--enable-native-access")
                    || a.startsWith("--sun-misc-unsafe-memory-access") || a.startsWith("-XX:MaxDirectMemorySize")
                    || a.equals("jdk.incubator.vector")) {
                cmd.add(a);
            }
        }
        if (!cmd.contains("--add-modules") && cmd.stream().noneMatch(a -> a.startsWith("--add-modules="))) {
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        cmd.addAll(classpathArgs);
        this.javaAndClasspath = List.copyOf(cmd);
        this.log = log;
    }

    /** A launcher running the same classes as this process. */
    public static MemberLauncher sameClasspath(Path log) {
        return new MemberLauncher(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()), log);
    }

    /** Starts {@code laminar node ARGS}. */
    public Process startNode(List<String> nodeArgs) throws IOException {
        List<String> cmd = new ArrayList<>(javaAndClasspath);
        cmd.add("node");
        cmd.addAll(nodeArgs);
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Stops the processes (SIGTERM, then SIGKILL after ten seconds). */
    public static void stopAll(List<Process> members) {
        for (Process p : members) {
            p.destroy();
        }
        for (Process p : members) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    public static Path defaultLog() {
        return new File(System.getProperty("java.io.tmpdir"), "laminar-cluster-" + ProcessHandle.current().pid() + ".log")
                .toPath();
    }
}
