/**
 * A generated compose file of about `bytes` bytes, for the loader benchmark: a realistic app
 * repeated — web entries, APIs calling each other and their databases by URL, workers, caches —
 * with environment, ports, depends_on, volumes, health checks and labels, all of which the model
 * reads.
 */
export function generateCompose(bytes: number): { text: string; services: number } {
  const parts: string[] = ['services:\n'];
  const volumes: string[] = [];
  let size = parts[0]!.length;
  let i = 0;
  while (size < bytes) {
    const g = Math.floor(i / 4);
    const kind = i % 4;
    const name = ['web', 'api', 'worker', 'db'][kind]!;
    const svc = `${name}-${g}`;
    let text: string;
    if (kind === 0)
      text = `  ${svc}:
    image: example/web:1.${g % 50}
    ports: ["${10000 + (g % 50000)}:8080"]
    depends_on: [api-${g}]
    environment:
      API_URL: http://api-${g}:5000/v1
      LOG_LEVEL: info
      NODE_ENV: production
      FEATURE_FLAGS: "a,b,c,d"
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://localhost:8080/health"]
      interval: 30s
    labels:
      com.example.team: web
      com.example.tier: frontend
    deploy:
      resources:
        limits: { cpus: "0.5", memory: 256M }
`;
    else if (kind === 1)
      text = `  ${svc}:
    build:
      context: ./api
      args: { VERSION: "1.${g}" }
    user: "1000:1000"
    expose: ["5000"]
    environment:
      DATABASE_URL: postgres://app:\${DB_PASSWORD:-}@db-${g}:5432/app
      REDIS_HOST: db-${g}
      REDIS_PORT: "6379"
      UPSTREAM: api-${(g + 1) % 1000}:5000
      WORKERS: "4"
    read_only: true
    tmpfs: ["/tmp"]
`;
    else if (kind === 2)
      text = `  ${svc}:
    image: example/worker:2.${g % 20}
    command: ["worker", "--queue", "jobs-${g}", "--db-host", "db-${g}", "--db-port", "5432"]
    environment:
      - BROKER=amqp://db-${g}:5672
      - CONCURRENCY=8
    volumes:
      - data-${g}:/var/lib/worker
    restart: unless-stopped
`;
    else
      text = `  ${svc}:
    image: postgres:16-alpine
    environment:
      POSTGRES_DB: app
      POSTGRES_USER: app
      POSTGRES_PASSWORD: \${DB_PASSWORD:-}
    volumes:
      - pg-${g}:/var/lib/postgresql/data
`;
    if (kind === 2) volumes.push(`  data-${g}: {}\n`);
    if (kind === 3) volumes.push(`  pg-${g}: {}\n`);
    parts.push(text);
    size += text.length + 16;
    i++;
  }
  // Close the last group: every depends_on and volume it names must exist.
  while (i % 4 !== 0) {
    const g = Math.floor(i / 4);
    const name = ['web', 'api', 'worker', 'db'][i % 4]!;
    parts.push(`  ${name}-${g}:\n    image: example/${name}:1\n`);
    i++;
  }
  return { text: `${parts.join('')}volumes:\n${volumes.join('')}`, services: i };
}
