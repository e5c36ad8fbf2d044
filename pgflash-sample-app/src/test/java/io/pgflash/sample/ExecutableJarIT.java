package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sample as an executable jar, run after the build packaged it ({@code java -jar}, as the README says): it starts
 * its embedded PostgreSQL and reports pgflash UP.
 */
class ExecutableJarIT {

    @Test
    void theRepackagedJarRunsTheSampleOnItsEmbeddedPostgres(@TempDir Path data) throws Exception {
        Path jar;
        try (Stream<Path> jars = Files.list(Path.of("target"))) {
            jar = jars.filter(path -> path.getFileName().toString().matches("pgflash-sample-app-.*\\d\\.jar|"
                    + "pgflash-sample-app-.*-SNAPSHOT\\.jar")).findFirst().orElseThrow();
        }
        int port = freePort();
        Process app = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "--server.port=" + port, "--sample.embedded.data-dir=" + data,
                "--pgflash.shutdown-timeout=5s")).redirectErrorStream(true)
                .redirectOutput(data.resolveSibling(data.getFileName() + ".log").toFile()).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofMinutes(2)).ignoreExceptions().untilAsserted(() -> assertThat(http.send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health/pgflash"))
                            .build(), HttpResponse.BodyHandlers.ofString()).body()).contains("\"UP\""));
        } finally {
            app.destroy();
            app.waitFor();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
