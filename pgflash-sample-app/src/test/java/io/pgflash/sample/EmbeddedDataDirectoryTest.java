package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The embedded server keeps its data across restarts of the sample, even after the sample was killed. */
class EmbeddedDataDirectoryTest {

    @TempDir
    Path dataDirectory;

    @Test
    void postsSurviveARestart() {
        long id;
        try (ConfigurableApplicationContext first = start()) {
            id = first.getBean(BlogRepository.class).insertPost("Kept", "", "draft");
        }
        try (ConfigurableApplicationContext second = start()) {
            // the cache loads from a snapshot once the listeners started
            await().untilAsserted(() -> assertThat(second.getBean(PostCache.class).newest(10))
                    .extracting(Post::id, Post::title).containsExactly(tuple(id, "Kept")));
        }
    }

    @Test
    void aServerLeftRunningByAKilledSampleIsStoppedAtTheNextStart() throws Exception {
        Process killed = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ServerOwner.class.getName(), dataDirectory.toString())
                .redirectErrorStream(true).start();
        try (BufferedReader output = new BufferedReader(
                new InputStreamReader(killed.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            do {
                line = output.readLine();
            } while (line != null && !line.equals(ServerOwner.READY));
            assertThat(line).as("the child JVM's embedded server started").isEqualTo(ServerOwner.READY);
        }
        killed.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9: the postgres server lives on
        long leftover = Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).trim());
        assertThat(ProcessHandle.of(leftover)).as("the leftover server").hasValueSatisfying(
                process -> assertThat(process.isAlive()).isTrue());

        try (ConfigurableApplicationContext sample = start()) {
            assertThat(sample.getBean(BlogRepository.class).insertPost("After a crash", "", "draft")).isPositive();
            assertThat(ProcessHandle.of(leftover).filter(ProcessHandle::isAlive)).isEmpty();
        } finally {
            ProcessHandle.of(leftover).ifPresent(ProcessHandle::destroy); // when the test fails
        }
    }

    @Test
    void aDirectoryInUseByARunningSampleIsRefusedAndTheRunningOneKeepsWorking() {
        try (ConfigurableApplicationContext running = start()) {
            assertThatThrownBy(this::start).hasRootCauseInstanceOf(IllegalStateException.class)
                    .rootCause().hasMessageContaining("Another running sample uses the embedded PostgreSQL in "
                            + dataDirectory.toAbsolutePath())
                    .hasMessageContaining("--sample.embedded.data-dir=");
            assertThat(running.getBean(BlogRepository.class).insertPost("Still fine", "", "draft")).isPositive();
        }
    }

    private ConfigurableApplicationContext start() {
        return new SpringApplicationBuilder(SampleApplication.class)
                .run("--server.port=0", "--sample.embedded.data-dir=" + dataDirectory, "--pgflash.shutdown-timeout=5s");
    }

    /** Starts the embedded server on a directory, as the sample does, and waits to be killed. */
    public static final class ServerOwner {

        static final String READY = "embedded server ready";

        public static void main(String[] args) throws Exception {
            EmbeddedPostgres.builder().setDataDirectory(Path.of(args[0])).setCleanDataDirectory(false)
                    .setServerConfig("wal_level", "logical").start();
            System.out.println(READY);
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
