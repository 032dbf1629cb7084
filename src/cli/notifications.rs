//! `supportgate notifications …`: the legal notices of the caller's tenant (a
//! request was received, a production is planned or took place), for customers.

use clap::Subcommand;

use super::args::parse_id;
use super::connect::Clients;
use super::error::CliError;
use super::output::{cell, emit, Table};
use super::view::NotificationView;
use super::{page, OutputFormat};
use crate::proto::{AcknowledgeNotificationRequest, ListNotificationsRequest};

/// Legal notifications (customers).
#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// List your tenant's legal notifications
    List {
        /// Only those not yet acknowledged
        #[arg(long)]
        unacknowledged: bool,
    },
    /// Mark a notification as read
    Ack {
        /// Notification id
        #[arg(value_parser = parse_id)]
        notification: String,
    },
}

/// Runs a `notifications` command.
pub async fn run(
    command: NotificationsCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        NotificationsCommand::List { unacknowledged } => list(clients, out, unacknowledged).await,
        NotificationsCommand::Ack { notification } => {
            let request = AcknowledgeNotificationRequest {
                notification_id: notification,
            };
            let acknowledged = clients
                .legal()
                .acknowledge_notification(request)
                .await?
                .into_inner();
            let view = NotificationView::from(&acknowledged);
            emit(out, &view, |view| {
                format!(
                    "acknowledged notification {} at {}\n",
                    view.notification_id,
                    cell(view.acknowledged_at.as_ref())
                )
            })
        }
    }
}

async fn list(clients: &Clients, out: OutputFormat, unacknowledged: bool) -> Result<(), CliError> {
    let client = clients.legal();
    let notifications = page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListNotificationsRequest {
            unacknowledged_only: unacknowledged,
            page_size,
            page_token,
        };
        async move {
            let response = client.list_notifications(request).await?.into_inner();
            Ok((response.notifications, response.next_page_token))
        }
    })
    .await?;
    let views: Vec<NotificationView> = notifications.iter().map(NotificationView::from).collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&[
            "notification",
            "kind",
            "reference",
            "agency",
            "created",
            "acknowledged",
            "message",
        ]);
        for view in views {
            table.push(vec![
                view.notification_id.clone(),
                cell(view.kind.as_ref()),
                cell(view.request_reference.as_ref()),
                cell(view.agency.as_ref()),
                cell(view.created_at.as_ref()),
                cell(view.acknowledged_at.as_ref()),
                view.message.clone(),
            ]);
        }
        table.render()
    })
}
