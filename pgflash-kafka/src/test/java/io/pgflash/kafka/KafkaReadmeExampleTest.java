package io.pgflash.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.test.Documentation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.wal.WalDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The README's plain-Java example of the Kafka bridge is this code, compiled and run against a real broker. */
class KafkaReadmeExampleTest extends KafkaTestSupport {

    @Test
    void readmeExampleCompilesAndPublishes() throws Exception {
        db.execute("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(12,2))",
                "CREATE TABLE payments (id bigint PRIMARY KEY, status text)");
        String url = db.jdbcUrl();
        String user = db.user();
        String password = db.password();
        String brokers = broker.getBrokersAsString();

        // README-START
        WalDriver driver = WalDriver.builder().group("publisher").replicaIdentityFull(true).build();
        try (PgFlash flash = PgFlash.builder().jdbcUrl(url, user, password).driver(driver).build();
                KafkaBridge bridge = KafkaBridge.builder()
                        .producer(Map.of("bootstrap.servers", brokers)) // acks=all and idempotence are enforced
                        .route(KafkaRoute.table("orders")) // to topic pgflash.public.orders
                        .route(KafkaRoute.of(SubscriptionSpec.table("payments").filter("status=eq.settled").build())
                                .toTopic("settled-payments"))
                        .build()) {
            bridge.subscribe(flash); // before start: a restarted group's backlog goes to the subscriptions it has
            flash.start();
            // README-END
            db.execute("INSERT INTO orders VALUES (1, 9.99)", "INSERT INTO payments VALUES (1, 'open'), (2, 'settled')");
            ConsumerRecord<byte[], byte[]> order = readUntil(reader("pgflash.public.orders"), read -> !read.isEmpty())
                    .get(0);
            assertThat(text(order.key())).isEqualTo("{\"id\":1}");
            assertThat(text(order.value())).contains("\"newRow\":{\"id\":1,\"total\":9.99}");
            assertThat(readUntil(reader("settled-payments"), read -> !read.isEmpty()))
                    .extracting(record -> text(record.key())).containsExactly("{\"id\":2}");
        } finally {
            db.execute("SELECT pg_drop_replication_slot('" + driver.slotName() + "')");
        }

        assertThat(Documentation.all()).contains(exampleFromThisFile());
    }

    /** The lines between the markers, de-indented as the README shows them. */
    private static String exampleFromThisFile() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/pgflash/kafka/KafkaReadmeExampleTest.java"));
        String between = source.substring(source.indexOf("// README-START\n") + "// README-START\n".length(),
                source.indexOf("// README-END"));
        return between.stripIndent();
    }
}
