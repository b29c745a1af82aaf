"""Processing: the EMR on EC2 cluster, its roles, network rules, security configuration and TLS material."""
