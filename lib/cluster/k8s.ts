/**
 * Kubernetes: an Indexed Job (`completionMode: Indexed`, one completion per slice; each pod's
 * JOB_COMPLETION_INDEX is its slice) and a one-pod finalise Job, both mounting one
 * ReadWriteMany PersistentVolumeClaim that holds the tiles and the output — written as YAML
 * that `kubectl apply -f` takes. Plain objects first (tests validate them against the
 * Kubernetes API schemas), then a small YAML writer for exactly these shapes.
 */
import { type ClusterBuild, finaliseArgs, sliceArgs } from "./build_command.ts";

/** What the manifests need beyond the build itself. */
export interface K8sOptions {
  image: string;
  /** The PersistentVolumeClaim (ReadWriteMany) with the tiles and the output. */
  pvc: string;
  /** Where the claim is mounted in the pods. */
  mountPath: string;
  /** The toolkit's folder in the image (holds tasks/build.ts). */
  toolkit: string;
  /** Pods at once (default: every slice). */
  parallelism?: number;
  /** Memory per pod, MiB. */
  memoryMiB: number;
  namespace?: string;
  /** Retries per index before the index counts as failed. */
  backoffLimitPerIndex?: number;
}

type Manifest = Record<string, unknown>;

function jobName(b: ClusterBuild, step: "build" | "finalize"): string {
  return `tz-${step}-${b.year}`;
}

function labels(b: ClusterBuild, step: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "tessera-zones",
    "tessera-zones/year": String(b.year),
    "tessera-zones/step": step,
  };
}

function podSpec(b: ClusterBuild, o: K8sOptions, name: string, args: string[]): Manifest {
  const memory = `${o.memoryMiB}Mi`;
  return {
    restartPolicy: "Never",
    containers: [{
      name,
      image: o.image,
      workingDir: o.toolkit,
      command: ["deno", "run", "-A", "tasks/build.ts", ...args],
      ...(b.env ? { env: Object.entries(b.env).map(([name, value]) => ({ name, value })) } : {}),
      resources: {
        requests: { cpu: String(b.workers), memory },
        limits: { memory },
      },
      volumeMounts: [{ name: "data", mountPath: o.mountPath }],
    }],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: o.pvc } }],
  };
}

/**
 * The Indexed Job of the slices.
 *
 * @example
 * k8sBuildJob(build, { image: "tz:1", pvc: "tessera", mountPath: "/data", toolkit: "/app", memoryMiB: 768 });
 */
export function k8sBuildJob(b: ClusterBuild, o: K8sOptions): Manifest {
  const metadata = {
    name: jobName(b, "build"),
    ...(o.namespace ? { namespace: o.namespace } : {}),
    labels: labels(b, "build"),
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata,
    spec: {
      completionMode: "Indexed",
      completions: b.tasks,
      parallelism: Math.min(o.parallelism ?? b.tasks, b.tasks),
      // A failed slice is retried on its own; the others are not held back by it.
      backoffLimitPerIndex: o.backoffLimitPerIndex ?? 2,
      template: {
        metadata: { labels: labels(b, "build") },
        spec: podSpec(b, o, "build", sliceArgs(b, "k8s")),
      },
    },
  };
}

/** The finalise Job (one pod), to apply once the Indexed Job is complete. */
export function k8sFinalizeJob(b: ClusterBuild, o: K8sOptions): Manifest {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(b, "finalize"),
      ...(o.namespace ? { namespace: o.namespace } : {}),
      labels: labels(b, "finalize"),
    },
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: 1,
      template: {
        metadata: { labels: labels(b, "finalize") },
        spec: podSpec(b, o, "finalize", finaliseArgs(b)),
      },
    },
  };
}

/** The commands that run the two Jobs, in order (for the files' comments and the docs). */
export function k8sRunCommands(
  b: ClusterBuild,
  buildFile: string,
  finalizeFile: string,
  namespace?: string,
): string[] {
  const ns = namespace ? ` -n ${namespace}` : "";
  return [
    `kubectl apply${ns} -f ${buildFile}`,
    `kubectl wait${ns} --for=condition=complete --timeout=-1s job/${jobName(b, "build")}`,
    `kubectl apply${ns} -f ${finalizeFile}`,
    `kubectl wait${ns} --for=condition=complete --timeout=-1s job/${jobName(b, "finalize")}`,
  ];
}

/**
 * YAML for plain JSON-like values: block mappings and sequences, strings double-quoted
 * (JSON string syntax is valid YAML), numbers and booleans as they are, `#` comment lines
 * first. Enough for manifests; not a general YAML writer.
 *
 * @example
 * toYaml({ a: [1, "x"] }); // 'a:\n  - 1\n  - "x"\n'
 */
export function toYaml(value: unknown, comments: string[] = []): string {
  const lines = comments.map((c) => `# ${c}`.trimEnd());
  const scalar = (v: unknown): string => {
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    if (v === null) return "null";
    throw new TypeError(`toYaml: cannot write ${typeof v}`);
  };
  const isEmpty = (v: unknown) =>
    (Array.isArray(v) && v.length === 0) ||
    (v !== null && typeof v === "object" && Object.keys(v).length === 0);
  const emit = (v: unknown, indent: string) => {
    if (Array.isArray(v)) {
      for (const item of v) {
        if (item !== null && typeof item === "object" && !isEmpty(item)) {
          const sub: string[] = [];
          const save = lines.length;
          emit(item, indent + "  ");
          sub.push(...lines.splice(save));
          lines.push(`${indent}- ${sub[0].trimStart()}`, ...sub.slice(1));
        } else {
          lines.push(
            `${indent}- ${isEmpty(item) ? (Array.isArray(item) ? "[]" : "{}") : scalar(item)}`,
          );
        }
      }
      return;
    }
    for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
      const key = /^[A-Za-z_][\w./-]*$/.test(k) ? k : JSON.stringify(k);
      if (item !== null && typeof item === "object" && !isEmpty(item)) {
        lines.push(`${indent}${key}:`);
        emit(item, indent + "  ");
      } else {
        const text = isEmpty(item) ? (Array.isArray(item) ? "[]" : "{}") : scalar(item);
        lines.push(`${indent}${key}: ${text}`);
      }
    }
  };
  emit(value, "");
  return lines.join("\n") + "\n";
}
