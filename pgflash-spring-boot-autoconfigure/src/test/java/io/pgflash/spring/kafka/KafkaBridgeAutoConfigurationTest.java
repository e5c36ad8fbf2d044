package io.pgflash.spring.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.test.Documentation;
import io.pgflash.kafka.KafkaBridge;
import io.pgflash.spring.boot.autoconfigure.PgFlashAutoConfiguration;
import io.pgflash.spring.boot.autoconfigure.kafka.PgFlashKafkaAutoConfiguration;
import io.pgflash.spring.boot.autoconfigure.kafka.PgFlashKafkaHealthIndicator;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;
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

    /** The README's application.yml, with this test's database, broker and group in front of it. */
    @Test
    void theReadmesApplicationYmlPublishesItsTablesWithTheApplicationsKafkaSettings() throws IOException {
        db.execute("CREATE TABLE payments (id bigint PRIMARY KEY, status text, amount numeric, note text)",
                "INSERT INTO payments VALUES (1, 'settled', 5, 'before the start'), (2, 'open', 6, 'before')");
        PropertySource<?> readme = readmeApplicationYml();
        application("pgflash.remove-objects-on-shutdown=true")
                .withInitializer(context -> context.getEnvironment().getPropertySources().addLast(readme))
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(KafkaBridge.class);
                    db.execute("INSERT INTO orders VALUES (2, 'paid', 20.50)",
                            "INSERT INTO payments VALUES (3, 'open', 7, 'after'), (4, 'settled', 8, 'after')");

                    List<ConsumerRecord<byte[], byte[]>> orders = read("shop.public.orders", 1);
                    assertThat(text(orders.get(0).key())).isEqualTo("{\"id\":2}");
                    assertThat(text(orders.get(0).value()))
                            .contains("\"newRow\":{\"id\":2,\"status\":\"paid\",\"total\":20.50}");
                    List<ConsumerRecord<byte[], byte[]>> payments = read("settled-payments", 2);
                    // a row written while the snapshot reads can come as READ and as INSERT, the same state twice
                    assertThat(payments).extracting(record -> text(record.key())).containsOnly("{\"id\":1}",
                            "{\"id\":4}");
                    ConsumerRecord<byte[], byte[]> snapshotRow = payments.stream()
                            .filter(record -> text(record.key()).equals("{\"id\":1}")).findFirst().orElseThrow();
                    assertThat(text(snapshotRow.value())).contains("\"operation\":\"READ\"")
                            .contains("\"newRow\":{\"id\":1,\"status\":\"settled\",\"amount\":5}");
                    assertThat(context.getBean(PgFlashKafkaHealthIndicator.class).health().getStatus())
                            .isEqualTo(Status.UP);
                });
    }

    private static PropertySource<?> readmeApplicationYml() throws IOException {
        String readme = Documentation.all();
        int block = readme.indexOf("```yaml\n", readme.indexOf("<!-- kafka-application-yml -->")) + 8;
        String yaml = readme.substring(block, readme.indexOf("```", block));
        return new YamlPropertySourceLoader().load("README.md application.yml",
                new ByteArrayResource(yaml.getBytes(StandardCharsets.UTF_8))).get(0);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
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

    /** Reads until records of {@code keys} distinct keys arrived (a key may come more than once). */
    private static List<ConsumerRecord<byte[], byte[]>> read(String topic, int keys) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                broker.getBrokersAsString(), "group.id", "test-" + topic, "auto.offset.reset", "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.stream().map(record -> text(record.key())).distinct().count() >= keys;
            });
            return records;
        }
    }
}
