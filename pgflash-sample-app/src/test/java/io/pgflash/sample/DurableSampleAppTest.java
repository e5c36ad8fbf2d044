package io.pgflash.sample;

import java.util.List;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The sample on a server given by {@code spring.datasource.url}, with the trigger driver's durable mode. */
@SpringBootTest(classes = SampleApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"pgflash.trigger.mode=durable", "pgflash.shutdown-timeout=5s"})
class DurableSampleAppTest extends SampleAppTest {

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) {
        useTestDatabase(properties);
    }

    @Override
    List<String> expectedDriver() {
        return List.of("trigger", "durable");
    }

    @Override
    String driverHealthDetail() {
        return "/backlog";
    }
}
