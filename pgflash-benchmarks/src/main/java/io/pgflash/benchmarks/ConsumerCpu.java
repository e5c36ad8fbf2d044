package io.pgflash.benchmarks;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The CPU a running consumer takes while the writers run, in cores (CPU seconds per second): its JVM (this process:
 * decoding, dispatch, the listener) and its server sessions (the backends whose {@code application_name} starts with
 * {@code pgflash}). On a 2-core machine both are taken from the writers, so a running consumer lowers their throughput
 * more than its triggers or slot do. Sessions are read from {@code /proc}: counted only when the server runs here.
 */
final class ConsumerCpu {

    /** Linux reports process times in USER_HZ ticks, 100 per second. */
    private static final double TICKS_PER_SECOND = 100;

    /**
     * Cores used by the consumer's JVM and by its server sessions ({@code NaN} if the server is elsewhere), and of
     * the JVM's the part of pgflash's own threads (reader, listener lanes), without the JIT, the garbage collector or
     * the benchmark's own threads.
     */
    record Usage(double jvmCores, double serverCores, double pgflashThreadCores) {
    }

    private final BenchServer server;
    private final long startNanos = System.nanoTime();
    private final long startJvmCpu = jvmCpuNanos();
    private final Map<Long, Long> startThreads = pgflashThreadNanos();
    private final Map<Long, Long> startTicks;

    private ConsumerCpu(BenchServer server) throws SQLException {
        this.server = server;
        this.startTicks = sessionTicks(server);
    }

    static ConsumerCpu start(BenchServer server) throws SQLException {
        return new ConsumerCpu(server);
    }

    Usage stop() throws SQLException {
        Map<Long, Long> endTicks = sessionTicks(server);
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double jvm = (jvmCpuNanos() - startJvmCpu) / 1e9 / seconds;
        long threadNanos = 0;
        for (Map.Entry<Long, Long> thread : pgflashThreadNanos().entrySet()) {
            threadNanos += thread.getValue() - startThreads.getOrDefault(thread.getKey(), 0L);
        }
        double threads = threadNanos / 1e9 / seconds;
        if (endTicks == null || startTicks == null) {
            return new Usage(jvm, Double.NaN, threads);
        }
        long ticks = 0;
        for (Map.Entry<Long, Long> session : endTicks.entrySet()) {
            ticks += session.getValue() - startTicks.getOrDefault(session.getKey(), 0L);
        }
        return new Usage(jvm, ticks / TICKS_PER_SECOND / seconds, threads);
    }

    /** CPU time of each live thread whose name starts with "pgflash", by thread id. */
    private static Map<Long, Long> pgflashThreadNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> nanos = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith("pgflash")) {
                nanos.put(info.getThreadId(), threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return nanos;
    }

    private static long jvmCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** User plus system ticks of each pgflash session, by process id; null if none can be read here. */
    private static Map<Long, Long> sessionTicks(BenchServer server) throws SQLException {
        String pids = server.queryString("SELECT string_agg(pid::text, ',') FROM pg_stat_activity"
                + " WHERE application_name LIKE 'pgflash%'");
        Map<Long, Long> ticks = new HashMap<>();
        if (pids == null) {
            return null;
        }
        for (String pid : pids.split(",")) {
            try {
                String stat = Files.readString(Path.of("/proc", pid, "stat"));
                // the fields after the command name, which is in parentheses and may hold spaces
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // utime and stime: fields 14 and 15 of the line, the 12th and 13th after the name
                ticks.put(Long.parseLong(pid), Arrays.stream(fields, 11, 13).mapToLong(Long::parseLong).sum());
            } catch (IOException e) {
                // this session just ended, or the server runs on another machine (bench.url)
            }
        }
        return ticks.isEmpty() ? null : ticks;
    }
}
