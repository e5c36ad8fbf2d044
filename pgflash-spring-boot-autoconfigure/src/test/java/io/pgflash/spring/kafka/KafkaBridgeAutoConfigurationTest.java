package io.pgflash.spring.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.kafka.KafkaBridge;
import io.pgflash.spring.boot.autoconfigure.PgFlashAutoConfiguration;
import io.pgflash.spring.boot.autoconfigure.kafka.PgFlashKafkaAutoConfiguration;
import io.pgflash.spring.boot.autoconfigure.kafka.PgFlashKafkaHealthIndicator;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/** The bridge as an application configures it: spring.kafka.* for the producer, pgflash.kafka.* for the tables. */
class KafkaBridgeAutoConfigurationTest {

    private static EmbeddedKafkaKraftBroker broker;
    private static TestDatabase db;
    private static int groups;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, KafkaAutoConfiguration.class,
                    PgFlashAutoConfiguration.class, PgFlashKafkaAutoConfiguration.class));

    @BeforeAll
    static void brokerAndDatabase() {
        broker = new EmbeddedKafkaKraftBroker(1, 2);
        broker.afterPropertiesSet();
        db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text, total numeric)");
    }

    @AfterAll
    static void stopBroker() {
        broker.destroy();
    }

    private ApplicationContextRunner application(String... properties) {
        return runner.withPropertyValues("spring.datasource.url=" + db.jdbcUrl(),
                "spring.datasource.username=" + db.user(), "spring.datasource.password=" + db.password(),
                "spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
                "pgflash.group=" + db.name() + "_kafka_" + (++groups)).withPropertyValues(properties);
    }

    @Test
    void publishesTheConfiguredTablesWithTheApplicationsKafkaSettings() {
        application("pgflash.driver=wal", "pgflash.remove-objects-on-shutdown=true",
                "pgflash.wal.replica-identity-full=true", "pgflash.kafka.enabled=true",
                "pgflash.kafka.tables[0].table=orders", "pgflash.kafka.tables[0].filter=status=eq.paid",
                "pgflash.kafka.tables[0].topic=paid-orders").run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(KafkaBridge.class);
                    db.execute("INSERT INTO orders VALUES (1, 'new', 10), (2, 'paid', 20.50)");

                    List<ConsumerRecord<byte[], byte[]>> records = read("paid-orders", 1);
                    assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":2}");
                    assertThat(new String(records.get(0).value(), StandardCharsets.UTF_8))
                            .contains("\"newRow\":{\"id\":2,\"status\":\"paid\",\"total\":20.50}");
                    assertThat(context.getBean(PgFlashKafkaHealthIndicator.class).health().getStatus())
                            .isEqualTo(Status.UP);
                });
    }

    @Test
    void theNotifyModeIsRefusedAtStartNamingTheDriversThatWork() {
        application("pgflash.kafka.enabled=true", "pgflash.kafka.tables[0].table=orders").run(context ->
                assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("pgflash.driver=wal").hasMessageContaining("pgflash.trigger.mode=durable"));
    }

    @Test
    void offUnlessEnabled() {
        application("pgflash.driver=trigger").run(context -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(KafkaBridge.class));
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(String topic, int count) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                broker.getBrokersAsString(), "group.id", "test-" + topic, "auto.offset.reset", "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= count;
            });
            return records;
        }
    }
}
