package io.pgflash.spring.it;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The application the starter's integration tests run; its listeners are the README's quick start. */
@SpringBootApplication
public class BlogApplication {
}
