"""The phase 5 component catalogue: each component type and its label.

Kept apart from ``phases.architecture`` because the diagrams, the export and the later
phases' rules name components too, and none of them should need phase 5's rules to do so.
"""

# type → label. Storage kinds are what a path may end in.
COMPONENT_TYPES = {
    "dns": "DNS",
    "cdn": "CDN",
    "load_balancer_l4": "Load balancer (L4)",
    "load_balancer_l7": "Load balancer (L7)",
    "app_server": "Application servers",
    "cache": "Cache",
    "queue": "Message queue",
    "db_primary": "Database primary",
    "db_replica": "Read replicas",
    "object_storage": "Object storage",
    "search": "Search",
    "worker": "Workers",
    "batch": "Batch jobs",
}
DURABLE_TYPES = ("db_primary", "object_storage")
LOAD_BALANCERS = ("load_balancer_l4", "load_balancer_l7")
